"""The fault plan alone: scripted faults, seeded rates, latency, stalls, and input checks."""

from __future__ import annotations

from collections import Counter

import pytest

from tim_topics.emulator.faults import Fault, FaultPlan, FaultRates, Timing
from tim_topics.errors import ValidationError


def draws(plan: FaultPlan, command: str, count: int) -> list[Fault | None]:
    return [plan.draw(command) for _ in range(count)]


def test_scripted_faults_come_in_order_then_stop() -> None:
    plan = FaultPlan()
    plan.fail_next("create_topic", code=10002, times=2)
    plan.fail_next("create_topic", kind="drop_after")
    assert plan.scripted("create_topic") == 3
    assert draws(plan, "get_topic", 1) == [None]
    assert draws(plan, "create_topic", 4) == [
        Fault("error", 10002),
        Fault("error", 10002),
        Fault("drop_after"),
        None,
    ]
    assert plan.scripted("create_topic") == 0


def test_kinds_other_than_error_carry_no_code() -> None:
    plan = FaultPlan()
    plan.fail_next("get_topic", kind="http_502")
    plan.fail_next("get_topic", kind="drop_before")
    plan.fail_next("get_topic", kind="drop_after")
    assert draws(plan, "get_topic", 3) == [
        Fault("http_502"),
        Fault("drop_before"),
        Fault("drop_after"),
    ]


def test_a_seed_reproduces_faults_and_delays() -> None:
    def run() -> tuple[list[Fault | None], list[float]]:
        plan = FaultPlan()
        plan.set_faults(
            FaultRates(
                error_rate={10002: 0.2, 10006: 0.1},
                http_502_rate=0.1,
                drop_before_rate=0.05,
                drop_after_rate=0.05,
                latency_ms=50,
                jitter_ms=20,
                seed=42,
            )
        )
        return draws(plan, "create_topic", 500), [plan.delay("create_topic") for _ in range(50)]

    first, second = run(), run()
    assert first == second
    assert len(set(first[0])) == 6  # every kind of outcome turned up


def test_rates_give_about_the_asked_share() -> None:
    plan = FaultPlan()
    plan.set_faults(FaultRates(error_rate={10002: 0.3}, http_502_rate=0.2, seed=1))
    seen = Counter(draws(plan, "get_topic", 10_000))
    assert 2700 < seen[Fault("error", 10002)] < 3300
    assert 1700 < seen[Fault("http_502")] < 2300
    assert 4600 < seen[None] < 5400


def test_a_rate_of_one_always_fails() -> None:
    plan = FaultPlan()
    plan.set_faults(FaultRates(drop_before_rate=1.0))
    assert draws(plan, "modify_topic", 20) == [Fault("drop_before")] * 20


def test_rates_can_be_limited_to_some_commands() -> None:
    plan = FaultPlan()
    plan.set_faults(FaultRates(error_rate={10002: 1.0}, latency_ms=30, commands=["create_topic"]))
    assert plan.draw("create_topic") == Fault("error", 10002)
    assert plan.draw("get_topic") is None
    assert plan.delay("create_topic") == pytest.approx(0.03)
    assert plan.delay("get_topic") == 0.0


def test_scripted_faults_come_before_rates() -> None:
    plan = FaultPlan()
    plan.set_faults(FaultRates(http_502_rate=1.0))
    plan.fail_next("get_topic", code=70001)
    assert draws(plan, "get_topic", 2) == [Fault("error", 70001), Fault("http_502")]


def test_delays_stay_within_latency_plus_minus_jitter() -> None:
    plan = FaultPlan()
    plan.set_faults(FaultRates(latency_ms=50, jitter_ms=20, seed=3))
    delays = [plan.delay("get_topic") for _ in range(1000)]
    assert all(0.030 <= d <= 0.070 for d in delays)
    assert max(delays) - min(delays) > 0.03
    plan.set_faults(FaultRates(latency_ms=5, jitter_ms=20, seed=3))
    assert min(plan.delay("get_topic") for _ in range(1000)) == 0.0  # never negative


def test_latency_does_not_change_which_calls_fail() -> None:
    def faults(latency: float) -> list[Fault | None]:
        plan = FaultPlan()
        plan.set_faults(FaultRates(error_rate={10002: 0.5}, latency_ms=latency, seed=9))
        result = []
        for _ in range(100):
            plan.delay("get_topic")
            result.append(plan.draw("get_topic"))
        return result

    assert faults(0) == faults(40)


def test_clear_removes_everything() -> None:
    plan = FaultPlan()
    plan.fail_next("get_topic", times=5)
    plan.set_faults(FaultRates(http_502_rate=1.0, latency_ms=10))
    plan.clear()
    assert plan.draw("get_topic") is None
    assert plan.delay("get_topic") == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"http_502_rate": 1.5}, "http_502_rate must be a number from 0 to 1"),
        ({"drop_before_rate": -0.1}, "drop_before_rate"),
        ({"error_rate": {10002: 0.7}, "drop_after_rate": 0.5}, "add up to 1.2"),
        ({"error_rate": {0: 0.1}}, "non-zero int error code"),
        ({"error_rate": {10002: "0.1"}}, r"error_rate\[10002\]"),
        ({"latency_ms": -1}, "latency_ms"),
        ({"jitter_ms": 10**6}, "jitter_ms"),
        ({"commands": ["drop_table"]}, "command 'drop_table' is unknown"),
    ],
)
def test_bad_rates_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultPlan().set_faults(FaultRates(**kwargs))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"command": "nope"}, "command 'nope' is unknown"),
        ({"command": "get_topic", "times": 0}, "times must be an int of at least 1"),
        ({"command": "get_topic", "kind": "explode"}, "kind 'explode' is unknown"),
        ({"command": "get_topic", "code": 0}, "non-zero int"),
    ],
)
def test_bad_scripted_faults_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultPlan().fail_next(**kwargs)  # type: ignore[arg-type]


# -- stalls: slow for a while, then the configured latency again ------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_stall_slows_calls_arriving_during_it_then_latency_is_back() -> None:
    clock = FakeClock()
    plan = FaultPlan(clock=clock)
    plan.set_faults(FaultRates(latency_ms=10))
    stall = plan.stall(2000, jitter_ms=250, seconds=5)
    assert (stall.starts_at, stall.ends_at) == (1000.0, 1005.0)
    during = [plan.timing("create_topic") for _ in range(200)]
    assert all(timing.stalled and 1.75 <= timing.seconds <= 2.25 for timing in during)
    assert max(t.seconds for t in during) - min(t.seconds for t in during) > 0.2
    clock.now = 1004.999
    assert plan.timing("get_topic").stalled
    clock.now = 1005.0
    after = plan.timing("create_topic")
    assert after == Timing(0.01, stalled=False)
    assert plan.stall_plan is None


def test_a_stall_can_start_later_and_be_limited_to_some_commands() -> None:
    clock = FakeClock()
    plan = FaultPlan(clock=clock)
    plan.stall(500, seconds=1, after=2, commands=["create_topic"])
    assert plan.timing("create_topic") == Timing(0.0)  # not yet
    assert plan.stall_plan is not None
    clock.now += 2
    assert plan.timing("create_topic") == Timing(0.5, stalled=True)
    assert plan.timing("get_topic") == Timing(0.0)  # another command is not stalled
    assert plan.delay("create_topic") == 0.5


def test_a_stall_can_be_ended_replaced_or_cleared() -> None:
    clock = FakeClock()
    plan = FaultPlan(clock=clock)
    plan.stall(500, seconds=10)
    plan.end_stall()
    assert plan.stall_plan is None and not plan.timing("get_topic").stalled
    plan.stall(500, seconds=10)
    plan.stall(900, seconds=1)  # replaces the first
    clock.now += 1
    assert not plan.timing("get_topic").stalled
    plan.stall(500, seconds=10)
    plan.set_faults(FaultRates(latency_ms=5))  # new rates keep the stall
    assert plan.timing("get_topic") == Timing(0.5, stalled=True)
    plan.clear()
    assert plan.stall_plan is None and plan.timing("get_topic") == Timing(0.0)


def test_a_seed_reproduces_stall_latencies() -> None:
    def run() -> list[float]:
        plan = FaultPlan(clock=FakeClock())
        plan.set_faults(FaultRates(seed=5))
        plan.stall(2000, jitter_ms=500, seconds=1)
        return [plan.delay("create_topic") for _ in range(20)]

    assert run() == run()


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"latency_ms": -1, "seconds": 1}, "latency_ms", "from 0 to below 60000"),
        ({"latency_ms": 60_000, "seconds": 1}, "latency_ms", "from 0 to below 60000"),
        ({"latency_ms": "2000", "seconds": 1}, "latency_ms", "got '2000'"),
        ({"latency_ms": 100, "jitter_ms": -5, "seconds": 1}, "jitter_ms", "got -5"),
        ({"latency_ms": 100, "seconds": 0}, "seconds", "above 0 to 86400"),
        ({"latency_ms": 100, "seconds": 86_401}, "seconds", "above 0 to 86400"),
        ({"latency_ms": 100, "seconds": True}, "seconds", "got True"),
        ({"latency_ms": 100, "seconds": float("nan")}, "seconds", "got nan"),
        ({"latency_ms": 100, "seconds": 1, "after": -1}, "after", "from 0 to 86400"),
        ({"latency_ms": 100, "seconds": 1, "commands": ["nope"]}, "command", "'nope' is unknown"),
    ],
)
def test_bad_stalls_are_refused_naming_the_field_and_limit(
    kwargs: dict[str, object], field: str, message: str
) -> None:
    plan = FaultPlan()
    with pytest.raises(ValidationError, match=message) as caught:
        plan.stall(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert plan.stall_plan is None
