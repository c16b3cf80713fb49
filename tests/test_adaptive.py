"""The AIMD rule, on a fake clock: no sleeping."""

from __future__ import annotations

from collections import deque

import pytest

from tim_topics.adaptive import AimdRate, RecentCount
from tim_topics.errors import ValidationError


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_starts_at_the_configured_rate() -> None:
    assert AimdRate(196.0, clock=FakeClock()).rate() == 196.0


def test_a_throttle_cuts_to_the_ok_count_when_that_is_lower() -> None:
    aimd = AimdRate(196.0, clock=FakeClock())
    assert aimd.throttled(ok_last_second=120)
    assert aimd.rate() == pytest.approx(0.95 * 120)


def test_a_throttle_cuts_at_least_by_the_cut_factor() -> None:
    clock = FakeClock()
    aimd = AimdRate(196.0, clock=clock)
    aimd.throttled(ok_last_second=None)  # 176.4: under the configured rate from here
    clock.advance(0.6)
    current = aimd.rate()
    aimd.throttled(ok_last_second=500)
    assert aimd.rate() == pytest.approx(0.9 * current)


def test_throttles_within_the_cut_interval_do_not_cut_again() -> None:
    clock = FakeClock()
    aimd = AimdRate(196.0, clock=clock)
    aimd.throttled(ok_last_second=120)
    clock.advance(0.49)
    assert not aimd.throttled(ok_last_second=10)
    assert aimd.cuts == 1
    clock.advance(0.02)
    assert aimd.throttled(ok_last_second=100)
    assert aimd.cuts == 2
    assert aimd.rate() < 0.95 * 120 * 0.9 + 1


def test_recovers_linearly_and_stops_at_the_configured_rate() -> None:
    clock = FakeClock()
    aimd = AimdRate(200.0, clock=clock)
    aimd.throttled(ok_last_second=100)  # 95
    clock.advance(10)
    assert aimd.rate() == pytest.approx(95 + 10 * 2.0)  # 1 % of 200 per second
    clock.advance(1000)
    assert aimd.rate() == 200.0


def test_no_ok_answers_at_all_cuts_to_the_floor() -> None:
    aimd = AimdRate(196.0, min_rate=2.0, clock=FakeClock())
    aimd.throttled(ok_last_second=0)
    assert aimd.rate() == 2.0


def test_default_floor_is_one_call_per_second() -> None:
    aimd = AimdRate(196.0, clock=FakeClock())
    aimd.throttled(ok_last_second=0)
    assert aimd.rate() == 1.0


def test_recovery_speed_can_be_set() -> None:
    clock = FakeClock()
    aimd = AimdRate(100.0, recovery_per_second=5.0, clock=clock)
    aimd.throttled(ok_last_second=50)
    clock.advance(2)
    assert aimd.rate() == pytest.approx(0.95 * 50 + 10)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_rate": 0}, "max_rate"),
        ({"max_rate": 10, "min_rate": 20}, "min_rate"),
        ({"max_rate": 10, "min_rate": 0}, "min_rate"),
        ({"max_rate": 10, "cut_factor": 1.0}, "cut_factor"),
        ({"max_rate": 10, "ok_share": 0}, "ok_share"),
        ({"max_rate": 10, "cut_interval": -1}, "cut_interval"),
        ({"max_rate": 10, "recovery_per_second": 0}, "recovery_per_second"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        AimdRate(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_recent_count_forgets_after_the_window() -> None:
    clock = FakeClock()
    counter = RecentCount(1.0, clock=clock)
    for _ in range(3):
        counter.add()
        clock.advance(0.4)
    assert counter.count() == 2  # the first was 1.2 s ago
    clock.advance(1.0)
    assert counter.count() == 0


def _simulate(server_limit: int, seconds: float, delay: float = 0.05) -> tuple[float, int, int]:
    """A client paced by AimdRate against a strict sliding-window server whose answers come
    back ``delay`` later. Returns (settle time, OK after settling, throttled after)."""
    clock = FakeClock(0.0)
    aimd = AimdRate(196.0, clock=clock)
    ok_recent = RecentCount(clock=clock)
    admitted: deque[float] = deque()
    in_flight: deque[tuple[float, bool]] = deque()
    next_send, last_cut_at, settle = 0.0, 0.0, 2.0
    ok_after = throttled_after = 0
    while next_send < seconds:
        clock.now = next_send
        while in_flight and in_flight[0][0] <= clock.now:
            _, throttled = in_flight.popleft()
            if throttled:
                if aimd.throttled(ok_recent.count()):
                    last_cut_at = clock.now
            else:
                ok_recent.add()
        while admitted and admitted[0] <= clock.now - 1.0:
            admitted.popleft()
        throttled = len(admitted) >= server_limit
        if not throttled:
            admitted.append(clock.now)
        if clock.now >= settle:
            throttled_after += throttled
            ok_after += not throttled
        in_flight.append((clock.now + delay, throttled))
        next_send += 1 / aimd.rate()
    assert last_cut_at > 0
    return settle, ok_after, throttled_after


def test_the_rule_settles_near_a_lower_server_limit() -> None:
    settle, ok_after, throttled_after = _simulate(server_limit=120, seconds=30)
    achieved = ok_after / (30 - settle)
    assert achieved >= 0.9 * 120
    assert throttled_after / (ok_after + throttled_after) <= 0.005


def test_an_unknown_ok_count_cuts_by_the_factor_only() -> None:
    aimd = AimdRate(196.0, clock=FakeClock())
    assert aimd.throttled(ok_last_second=None)
    assert aimd.rate() == pytest.approx(0.9 * 196.0)


def test_the_ok_count_is_no_rate_until_answers_came_for_a_whole_second() -> None:
    """A far service: the first answers come a latency after the first calls, so a count
    of them covers less than a second and would read as a tiny rate."""
    clock = FakeClock()
    ok = RecentCount(1.0, clock=clock)
    assert ok.full_count() is None  # nothing answered yet
    for _ in range(20):  # 20 answers in the first 0.2 s of answering
        ok.add()
        clock.advance(0.01)
    assert ok.count() == 20
    assert ok.full_count() is None
    for _ in range(170):  # answering goes on for a whole second
        ok.add()
        clock.advance(0.005)
    assert ok.full_count() == ok.count() > 100
    clock.advance(1.5)  # a pause: the next answers start a new stream
    ok.add()
    assert ok.full_count() is None


def test_a_throttle_while_the_service_admits_our_rate_is_jitter_and_cuts_a_little() -> None:
    aimd = AimdRate(196.0, clock=FakeClock())
    assert aimd.throttled(ok_last_second=195)
    assert aimd.rate() == pytest.approx(0.98 * 196.0)
    lower = AimdRate(196.0, clock=FakeClock())
    lower.throttled(ok_last_second=180)  # the service's limit is lower: the usual cut
    assert lower.rate() == pytest.approx(0.95 * 180)


def test_the_edge_rule_holds_only_near_the_configured_rate() -> None:
    clock = FakeClock()
    aimd = AimdRate(196.0, clock=clock)
    aimd.throttled(ok_last_second=150)  # a lower limit: cut to 142.5
    clock.advance(1.0)
    current = aimd.rate()
    assert aimd.throttled(ok_last_second=current)  # admitted all: still a real cut
    assert aimd.rate() == pytest.approx(0.9 * current)
