"""The in-process limiter: bucket shape, sliding-window bound, adaptive cuts, cancellation.

The timing tests run on a virtual clock (:mod:`support.virtual_clock`: the event loop's
time jumps to the next timer when every task waits), so their bounds are exact, whatever
the machine's load.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.pauses import admit_with_pauses
from support.virtual_clock import VirtualClockLoop, on_virtual_clock
from support.windows import max_in_window

from tim_topics.errors import ValidationError
from tim_topics.limiter import (
    CATCH_UP,
    CATCH_UP_PACE,
    Limiter,
    LocalLimiter,
    MissedTokens,
    _CommandBudget,
    bucket_shape,
    local_shape,
)
from tim_topics.send_window import PERIOD


async def admit(limiter: LocalLimiter, command: str, calls: int, workers: int) -> list[float]:
    """Run ``calls`` acquisitions from ``workers`` tasks; the loop time of each admission."""
    loop = asyncio.get_running_loop()
    times: list[float] = []
    remaining = iter(range(calls))

    async def worker() -> None:
        for _ in remaining:
            await limiter.acquire(command)
            times.append(loop.time())

    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(workers))), 30)
    return times


def test_bucket_shape_of_the_documented_limit() -> None:
    burst, rate = bucket_shape(200)
    assert burst == 2
    assert rate == pytest.approx(196.02)


@given(st.floats(min_value=0.01, max_value=10_000))
def test_bucket_shape_keeps_burst_plus_rate_under_the_limit(limit: float) -> None:
    burst, rate = bucket_shape(limit)
    assert burst >= 1
    assert rate > 0
    assert burst + rate <= limit or rate <= limit / 2


@pytest.mark.parametrize("bad", [0, -1])
def test_rate_limit_must_be_positive(bad: float) -> None:
    with pytest.raises(ValidationError) as caught:
        LocalLimiter(bad)
    assert caught.value.field == "rate_limit"
    with pytest.raises(ValidationError):
        LocalLimiter(200, per_command={"get_topic": bad})


def test_is_a_limiter() -> None:
    assert isinstance(LocalLimiter(), Limiter)


def test_rates_before_any_call() -> None:
    limiter = LocalLimiter(200, per_command={"import_topic": 50})
    assert limiter.limit("get_topic") == 200
    assert limiter.limit("import_topic") == 50
    assert limiter.configured_rate("get_topic") == pytest.approx(196.02)
    assert limiter.effective_rate("import_topic") == pytest.approx(bucket_shape(50)[1])


@on_virtual_clock
@pytest.mark.parametrize("adaptive", [False, True])
async def test_no_window_holds_more_than_burst_plus_rate(adaptive: bool) -> None:
    limiter = LocalLimiter(100, adaptive=adaptive)
    banked, rate, cap = local_shape(100)
    times = await admit(limiter, "get_topic", calls=300, workers=20)
    assert len(times) == 300
    for window in (0.1, 0.3):
        # a window of exactly `window` seconds, closed at both ends
        assert max_in_window(times, window) <= banked + rate * window + 1e-9
    assert max_in_window(times, 1.0) <= cap
    # and the rate is reached: 300 calls take (300 - banked) / rate seconds, or as long as
    # the window makes them, whichever is longer
    fastest = max((300 - banked) / rate, (300 - 1) // cap * PERIOD)
    assert max(times) - min(times) == pytest.approx(fastest, rel=2e-3)


def test_the_local_shape_of_the_documented_limit() -> None:
    # 196.02 tokens a second, 6 banked (30 ms of a late loop), 199 in any 1.015 s
    assert local_shape(200) == (6, pytest.approx(196.02), 199)
    assert local_shape(100) == (3, pytest.approx(97.02), 99)
    assert local_shape(10) == (1, pytest.approx(8.91), 9)


@on_virtual_clock
async def test_a_late_loop_catches_up_without_overshooting() -> None:
    """Every turn of the event loop takes 10 ms of other work (a busy app): a limiter
    woken each second turn finds 4 tokens due where its bucket banked 2, and lost half the
    rate; the bank catches it up, and the exact window still holds every sliding second."""
    limiter = LocalLimiter(200, adaptive=False)
    banked, rate, cap = local_shape(200)
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualClockLoop)
    times: list[float] = []
    working = True

    async def other_work() -> None:
        while working:
            loop.busy(0.010)
            await asyncio.sleep(0)

    async def worker() -> None:
        for _ in range(10):
            await limiter.acquire("get_topic")
            times.append(loop.time())

    busy = asyncio.create_task(other_work())
    await asyncio.gather(*(worker() for _ in range(100)))
    working = False
    await busy
    assert max_in_window(times, 1.0) <= cap
    span = max(times) - min(times)
    assert (len(times) - banked) / span >= 0.95 * rate  # 0.96 here; 0.5 with 2 banked


@on_virtual_clock
async def test_a_loop_stopped_beyond_the_bank_catches_up_what_it_missed() -> None:
    """The loop stops for 0.1 s every second (Python's collector with a thousand calls in
    flight): the 30 ms bank alone lost 70 ms of tokens each time (0.94 of the rate); the
    missed tokens are caught up, and no second holds more than the window's cap."""
    limiter = LocalLimiter(200, adaptive=False)
    _, rate, cap = local_shape(200)
    times = await admit_with_pauses(limiter, seconds=8.0, every=0.9, pause=0.1)
    assert max_in_window(times, 1.0) <= cap
    assert max_in_window(times, PERIOD - 1e-9) <= cap
    assert len(times) / (max(times) - min(times)) >= 0.965 * rate  # 0.970; 0.936 without


@on_virtual_clock
async def test_no_catching_up_below_a_rate_the_service_cut() -> None:
    """A service that throttled may allow no more than the cut rate: a late loop then
    loses its tokens rather than sending a burst the service refuses."""
    limiter = LocalLimiter(200)
    await limiter.acquire("get_topic")
    for _ in range(3):
        limiter.feedback("get_topic", throttled=True)
    cut = limiter.effective_rate("get_topic")
    assert cut < local_shape(200)[1]
    times = await admit_with_pauses(limiter, seconds=6.0, every=0.9, pause=0.1)
    assert len(times) / (max(times) - min(times)) <= 0.95 * cut  # 0.93 here; 0.98 with


def test_missed_tokens_are_owed_while_the_schedule_is_behind() -> None:
    owed = MissedTokens()
    owed.start(0.0)
    assert not owed.missed(0.001, rate=100)  # a token every 10 ms: none due yet
    assert owed.missed(0.05, rate=100)  # the loop woke 50 ms late: 5 were due
    for _ in range(5):
        owed.taken(0.05, rate=100, window_full=False)
    assert not owed.missed(0.05, rate=100)  # all five taken


def test_a_bank_handed_out_early_does_not_hide_a_later_lateness() -> None:
    """The bucket hands out its bank when callers begin to wait; were those tokens counted
    ahead of the schedule, every later stop would be owed 30 ms less (most of a 40-60 ms
    collection)."""
    owed = MissedTokens()
    owed.start(0.0)
    for _ in range(6):
        owed.taken(0.0, rate=100, window_full=False)
    assert owed.missed(0.05, rate=100)


def test_missed_tokens_are_handed_out_thinly() -> None:
    """One owed token per ``1 / (rate * CATCH_UP_PACE)`` seconds, beside the bucket's."""
    owed = MissedTokens()
    owed.start(0.0)
    assert owed.missed(0.05, rate=100)
    owed.taken(0.05, rate=100, window_full=False, owed=True)
    gap = 1 / (100 * CATCH_UP_PACE)
    assert not owed.missed(0.05 + gap * 0.99, rate=100)  # still owed, but not yet
    assert owed.missed(0.05 + gap, rate=100)


def test_missed_tokens_are_owed_for_catch_up_seconds_at_most() -> None:
    owed = MissedTokens()
    owed.start(0.0)
    owed.taken(10.0, rate=100, window_full=False)  # stopped for 10 s
    caught_up = 1
    while owed.missed(10.0, rate=100):
        owed.taken(10.0, rate=100, window_full=False)
        caught_up += 1
    assert abs(caught_up - CATCH_UP * 100) <= 1


def test_what_is_owed_is_forgotten_when_the_window_is_full() -> None:
    """The window paces the calls then; a debt kept would hold the command at its edge."""
    owed = MissedTokens()
    owed.start(0.0)
    owed.taken(0.1, rate=100, window_full=True)
    assert not owed.missed(0.1, rate=100)
    owed.start(0.5)  # callers waiting again after idling: idleness is not lateness
    assert not owed.missed(0.5, rate=100)


@on_virtual_clock
async def test_commands_have_separate_budgets() -> None:
    limiter = LocalLimiter(10)  # burst 1 at 8.91/s
    await limiter.acquire("get_topic")
    # another command is not held up by get_topic's spent token
    await asyncio.wait_for(limiter.acquire("create_topic"), 0.05)


@pytest.mark.asyncio
async def test_fixed_limiter_ignores_throttling() -> None:
    limiter = LocalLimiter(200, adaptive=False)
    for _ in range(20):
        limiter.feedback("get_topic", throttled=False)
    limiter.feedback("get_topic", throttled=True)
    assert limiter.effective_rate("get_topic") == pytest.approx(196.02)


@pytest.mark.asyncio
async def test_throttle_cuts_only_that_command() -> None:
    limiter = LocalLimiter(200)
    for _ in range(40):
        limiter.feedback("get_topic", throttled=False)
    limiter.feedback("get_topic", throttled=True)
    # 40 answers within a moment are no rate yet (a far service's first answers): the cut
    # is the factor's
    assert limiter.effective_rate("get_topic") == pytest.approx(0.9 * 196.02, abs=0.1)
    assert limiter.effective_rate("create_topic") == pytest.approx(196.02)
    assert limiter.configured_rate("get_topic") == pytest.approx(196.02)


@on_virtual_clock
async def test_a_cut_slows_admissions_at_once_without_a_new_burst() -> None:
    limiter = LocalLimiter(200)
    loop = asyncio.get_running_loop()
    await admit(limiter, "get_topic", calls=20, workers=4)  # the bucket is full now
    before = loop.time()
    for _ in range(10):
        limiter.feedback("get_topic", throttled=False)
    limiter.feedback("get_topic", throttled=True)  # cut by the factor, to 176.4/s
    rate = limiter.effective_rate("get_topic")
    assert rate == pytest.approx(0.9 * 196.02, abs=0.1)
    times = await admit(limiter, "get_topic", calls=3, workers=3)
    # a fresh, empty bucket would let two calls through at once
    assert min(times) - before >= 0.5 / rate
    assert max(times) - before >= 2.5 / rate


@on_virtual_clock
async def test_cancelled_waiters_take_no_tokens() -> None:
    limiter = LocalLimiter(100)  # 3 banked at 97.02/s
    banked, rate, _ = local_shape(100)
    # spend the bank, and a few more: the bucket is empty at the last admission
    await admit(limiter, "get_topic", calls=banked + 5, workers=1)
    waiters = [asyncio.create_task(limiter.acquire("get_topic")) for _ in range(200)]
    await asyncio.sleep(0.03)
    for task in waiters:
        task.cancel()
    done = await asyncio.gather(*waiters, return_exceptions=True)
    admitted = sum(result is None for result in done)
    assert admitted <= 0.03 * rate + 1
    # the cancelled ones left the queue and the bucket usable: the next calls are paced
    # by the rate, not stuck behind 200 phantom waiters
    loop = asyncio.get_running_loop()
    start = loop.time()
    await admit(limiter, "get_topic", calls=10, workers=5)
    assert loop.time() - start <= 10 / rate + 1e-9


@pytest.mark.asyncio
async def test_feedback_before_any_acquire_is_fine() -> None:
    limiter = LocalLimiter(200)
    limiter.feedback("modify_topic", throttled=True)
    # no OK count yet: the cut is the factor's
    assert limiter.effective_rate("modify_topic") == pytest.approx(0.9 * 196.02, abs=0.1)
    await asyncio.wait_for(limiter.acquire("modify_topic"), 5)
    await limiter.aclose()


@pytest.mark.asyncio
async def test_the_bucket_follows_a_recovering_rate_in_one_percent_steps() -> None:
    from tim_topics.adaptive import AimdRate

    now = [0.0]
    limiter = LocalLimiter(200)
    budget = limiter._budget("get_topic")  # white box: swap in a fake clock
    budget.aimd = AimdRate(budget.max_rate, clock=lambda: now[0])

    def bucket_rate() -> float:
        bucket = budget._bucket
        return bucket.max_rate / bucket.time_period

    budget.aimd.throttled(ok_last_second=100)  # 95/s
    await limiter.acquire("get_topic")
    assert bucket_rate() == pytest.approx(95)
    now[0] += 0.2  # +0.39/s: under 1 %, the bucket stays
    await limiter.acquire("get_topic")
    assert bucket_rate() == pytest.approx(95)
    now[0] += 0.4  # +1.18/s in all: over 1 %
    await limiter.acquire("get_topic")
    assert bucket_rate() == pytest.approx(95 + 0.6 * 1.9602)
    now[0] += 1000
    await limiter.acquire("get_topic")
    assert bucket_rate() == pytest.approx(196.02)


@on_virtual_clock
async def test_no_missed_token_between_a_cut_and_the_bucket_following_it() -> None:
    """The bucket follows a cut at the pump's next bucket token; a missed token due before
    that is not handed out at the old rate (the adaptive rate's latest word decides)."""
    budget = _CommandBudget(200, adaptive=True)
    loop = asyncio.get_running_loop()
    now = loop.time()
    await budget._bucket.acquire(budget.burst)  # the bank spent: no token in the bucket
    budget._last_admitted = now
    budget._owed.start(now - 0.1)  # and the schedule is 0.1 s behind: tokens are owed
    assert budget._owed.missed(loop.time(), budget.max_rate)
    assert budget.aimd is not None
    budget.aimd.throttled(None)  # a cut, which the bucket has not followed yet
    before = len(budget.window._moments)
    start = loop.time()
    await budget._take_or_catch_up()
    assert budget._rate < budget.max_rate  # the token came from the bucket, which followed
    assert loop.time() > start  # and was waited for: no owed token went at the old rate
    assert len(budget.window._moments) == before + 1
