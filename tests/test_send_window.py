"""The exact window of the last second's calls: its cap, its waits, its clock, and the
request path that makes every request's bytes wait for it."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from support.constants import ADMIN, GROUP, SDKAPPID, SECRET
from support.virtual_clock import VirtualClockLoop, on_virtual_clock
from support.windows import max_in_window

from tim_topics import RetryPolicy, TopicClient, TransportError
from tim_topics.emulator import Emulator
from tim_topics.errors import ValidationError
from tim_topics.request_path import _WindowedBody
from tim_topics.send_window import PERIOD, SHORT_PERIOD, SendWindow, clock_of, window_cap


class NoLimit:
    """A limiter that never waits: only the send window stands between calls and the
    service."""

    async def acquire(self, command: str) -> None:
        return None

    def feedback(self, command: str, *, throttled: bool) -> None:
        return None

    def effective_rate(self, command: str) -> float:
        return 1e9

    async def aclose(self) -> None:
        return None


@pytest.mark.parametrize(
    ("limit", "cap"), [(200, 199), (100, 99), (10, 9), (5, 4), (2, 1), (1, 1), (0.5, 1)]
)
def test_the_cap_keeps_a_margin_under_the_limit(limit: float, cap: int) -> None:
    assert window_cap(limit) == cap


@pytest.mark.parametrize("bad", [0, -5])
def test_a_limit_that_is_not_positive_is_refused(bad: float) -> None:
    with pytest.raises(ValidationError) as caught:
        window_cap(bad)
    assert caught.value.field == "rate_limit"
    with pytest.raises(ValidationError):
        SendWindow(0)


@on_virtual_clock
async def test_no_closed_second_holds_more_than_the_cap() -> None:
    window = SendWindow(10)
    loop = asyncio.get_running_loop()
    times: list[float] = []

    async def caller() -> None:
        for _ in range(5):
            await window.enter()
            times.append(loop.time())

    await asyncio.gather(*(caller() for _ in range(10)))
    assert len(times) == 50
    assert max_in_window(times, 1.0) == 10
    # each batch of ten leaves as soon as the one before it is a period old, one call a
    # short period (50 ms) at most: 1.5 times the mean rate of 10/s, rounded up
    assert window.short_cap == 1
    batches = Counter(round(t / PERIOD) for t in times)
    assert batches == {0: 10, 1: 10, 2: 10, 3: 10, 4: 10}
    assert max(times) == pytest.approx(4 * PERIOD + 9 * SHORT_PERIOD)
    assert window.waits >= 40 / 10


@on_virtual_clock
async def test_a_caller_cancelled_while_waiting_is_not_counted() -> None:
    window = SendWindow(1)
    await window.enter()
    waiting = asyncio.create_task(window.enter())
    await asyncio.sleep(0.5)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.sleep(PERIOD)  # the first call left the window
    started = asyncio.get_running_loop().time()
    await window.enter()  # room at once: the cancelled caller took none
    assert asyncio.get_running_loop().time() == started


def test_the_clock_is_the_loops_own_only_where_it_reads_the_time_at_each_call() -> None:
    loop = VirtualClockLoop()
    try:
        assert clock_of(loop) == loop.time  # asyncio's loops (and a test's virtual one)
    finally:
        loop.close()
    # a loop of another kind (uvloop's time() is the start of its current turn)
    assert clock_of(asyncio.AbstractEventLoop()) is time.monotonic


# -- the request path: every request's bytes wait for the window --------------------------


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(
        sdkappid=SDKAPPID, secret_key=SECRET, identifier=ADMIN, groups=[GROUP], rate_limit=5
    ) as emulator:
        yield emulator


@pytest.mark.asyncio
async def test_requests_beyond_the_window_wait_for_the_next_second(emu: Emulator) -> None:
    """Ten requests at once with no limiter at all, at a limit of 5: the window lets 4
    leave, then 4 more a second later, then 2; the service never refuses one."""
    async with TopicClient(
        SDKAPPID, ADMIN, SECRET, base_url=emu.url, limiter=NoLimit(), rate_limit=5
    ) as client:
        made = await asyncio.gather(*(client.create_topic(GROUP, f"t{i}") for i in range(10)))
        window = client._path.window("create_topic")
    assert len(set(made)) == 10
    stats = emu.stats.commands["create_topic"]
    assert stats.rate_limited == 0
    assert stats.peak_arrivals <= window_cap(5) == 4
    assert window.waits >= 6  # and more: one call a 50 ms at most


@pytest.mark.asyncio
async def test_a_request_timed_out_in_the_window_was_not_sent(emu: Emulator) -> None:
    """A request still waiting for room when its time-out ends never left: not sent, so a
    create without a custom ID may be tried again."""
    once = RetryPolicy(max_attempts=1)
    async with TopicClient(
        SDKAPPID,
        ADMIN,
        SECRET,
        base_url=emu.url,
        limiter=NoLimit(),
        rate_limit=2,
        timeout=0.3,
        retry=once,
    ) as client:
        outcomes = await asyncio.gather(
            client.create_topic(GROUP, "a"), client.create_topic(GROUP, "b"), return_exceptions=True
        )
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(errors) == 1
    assert isinstance(errors[0], TransportError)
    assert errors[0].sent is False
    assert len(emu.topics(GROUP)) == 1
    assert emu.stats.commands["create_topic"].calls == 1


@on_virtual_clock
async def test_catching_up_after_a_pause_is_spread() -> None:
    """Thirty calls ready at once (a loop that was paused) leave at most 1.5 times the
    mean rate in any 50 ms, not all together."""
    window = SendWindow(195)
    assert window.short_cap == 15
    loop = asyncio.get_running_loop()
    times: list[float] = []

    async def caller() -> None:
        await window.enter()
        times.append(loop.time())

    await asyncio.gather(*(caller() for _ in range(30)))
    assert len(times) == 30
    assert max_in_window(times, SHORT_PERIOD - 1e-9) <= 15
    assert max(times) == pytest.approx(SHORT_PERIOD)  # and no later than that


def test_a_call_that_left_late_is_counted_when_it_left() -> None:
    window = SendWindow(1)
    assert window.try_enter(0.0)
    window.left_at(0.0, 0.2)  # the loop stopped 0.2 s between the count and the bytes
    # Counted at 0.0 it would be forgotten at PERIOD; it left at 0.2, so it stays till then.
    assert window.delay(PERIOD + 0.05) == pytest.approx(0.2 - 0.05)
    assert not window.try_enter(PERIOD + 0.05)
    assert window.try_enter(PERIOD + 0.2)


def test_moving_a_call_keeps_the_others_and_their_order() -> None:
    window = SendWindow(3)
    assert window.try_enter(0.0)
    assert window.try_enter(0.1)
    window.left_at(0.0, 0.2)  # another call was counted in between
    window.left_at(0.1, 0.1)  # left at once: nothing moves
    assert list(window._moments) == [0.1, 0.2]
    assert window.try_enter(0.3)
    assert not window.try_enter(0.4)  # three in the window: one moved, none lost or added
    window.delay(5.0)  # all forgotten
    window.left_at(0.3, 5.0)  # a call that left over a period late is counted when it left
    assert list(window._moments) == [5.0]


class _SlowWriter:
    """A stream writer whose write takes ``pause`` seconds of a fake clock."""

    def __init__(self, clock: list[float], pause: float) -> None:
        self.clock = clock
        self.pause = pause
        self.written = b""

    async def write(self, data: bytes) -> None:
        self.clock[0] += self.pause
        self.written += bytes(data)


@pytest.mark.asyncio
async def test_a_body_counts_its_request_when_its_bytes_left() -> None:
    now = [10.0]
    window = SendWindow(100)
    body = _WindowedBody(b'{"a":1}', window, lambda: now[0])
    assert not body.sent
    writer = _SlowWriter(now, pause=0.3)
    await body.write_with_length(writer, None)
    assert body.sent and writer.written == b'{"a":1}'
    assert list(window._moments) == [10.3]  # counted at 10.0, left at 10.3
    await body.write(writer)  # written again (a middleware re-sending): two requests
    assert list(window._moments) == pytest.approx([10.3, 10.6])
