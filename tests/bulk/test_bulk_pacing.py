"""Records in flight follow the latency: Little's law on what the engine observes, capped
by an explicit ``concurrency``. The rules on a fake clock, then the engine against a far
emulator (no timing asserts: counts of records in flight, seen by the engine and the server)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from pacing_sim import share_of_rate, simulate
from support.bulk import FAST, SHORT_WAIT
from support.constants import ADMIN, GROUP, SDKAPPID, SECRET
from support.scripted import serving

from tim_topics import TopicClient, TopicRecord
from tim_topics.bulk import ImportGauges, import_topics
from tim_topics.bulk.pacing import INITIAL_IN_FLIGHT, InFlightTarget, ceiling_for
from tim_topics.emulator import Emulator


class FakeRun:
    """A clock and a call counter the test moves by hand."""

    def __init__(self, rate: float = 200.0) -> None:
        self.now = 0.0
        self.calls = 0
        self.rate = rate

    def pacing(self, cap: int | None = None) -> InFlightTarget:
        return InFlightTarget(
            lambda: self.rate, lambda: self.calls, cap=cap, clock=lambda: self.now
        )

    def window(self, pacing: InFlightTarget, latency: float, calls_per_second: float) -> None:
        """Keep the target in flight for one window of ``latency`` seconds (at least 0.5),
        each record taking ``latency``, the calls running at ``calls_per_second``."""
        span = max(0.5, latency)
        count = pacing.target
        starts = [pacing.started() for _ in range(count)]
        self.now += span
        self.calls += round(calls_per_second * span)
        for started in starts:
            pacing.finished(started)


@pytest.mark.parametrize("latency", [0.05, 0.3, 0.5, 1.0, 2.0, 3.0])
def test_the_rate_is_reached_at_any_latency_up_to_the_service_time_out(latency: float) -> None:
    done, targets = simulate(lambda _: latency)
    assert share_of_rate(done, 20, 60) >= 0.95
    final = targets[-1][1]
    assert final <= ceiling_for(196.0)
    assert final <= 196 * latency * 1.25 * 1.5 + 8  # no more than the latency needs


def test_the_first_records_done_set_the_target_without_waiting_a_whole_second() -> None:
    """At 500 ms the first window ends with the first records done (after 0.25 s at the
    least), and Little's law sets the target then: a whole second at the initial 64 would
    run at 128 calls/s."""
    run = FakeRun(rate=196.0)
    pacing = run.pacing()
    assert pacing.target == INITIAL_IN_FLIGHT
    run.window(pacing, 0.5, INITIAL_IN_FLIGHT / 0.5)
    assert run.now == 0.5
    assert pacing.target >= 196 * 0.5 * 1.25


def test_the_target_shrinks_when_the_service_speeds_up() -> None:
    done, targets = simulate(lambda moment: 2.0 if moment < 30 else 0.2, duration=90)
    slow = max(target for moment, target in targets if moment < 30)
    assert slow >= 196 * 2.0
    assert targets[-1][1] < slow / 2
    assert share_of_rate(done, 40, 90) >= 0.95


def test_the_target_grows_when_the_service_slows_down() -> None:
    done, targets = simulate(lambda moment: 0.2 if moment < 30 else 2.0, duration=90)
    fast = max(target for moment, target in targets if moment < 30)
    assert fast < 196 * 0.5
    assert targets[-1][1] >= 196 * 2.0
    assert share_of_rate(done, 50, 90) >= 0.95


def test_growth_that_does_not_raise_the_calls_stops() -> None:
    run = FakeRun(rate=5000.0)
    pacing = run.pacing()
    for _ in range(10):  # something else bounds the calls at 800/s, whatever is in flight
        run.window(pacing, pacing.target / 800, 800)
    assert pacing.target <= 4 * INITIAL_IN_FLIGHT


def test_an_explicit_cap_is_the_ceiling() -> None:
    run = FakeRun()
    pacing = run.pacing(cap=10)
    assert pacing.target == 10
    for _ in range(5):
        run.window(pacing, 3.0, pacing.target / 3.0)
    assert pacing.target == 10


def creates(count: int) -> list[TopicRecord]:
    return [TopicRecord(group_id=GROUP, topic_name=f"far {n}") for n in range(count)]


@pytest.mark.asyncio
async def test_a_far_service_gets_more_than_64_in_flight_by_default(emu: Emulator) -> None:
    emu.set_faults(latency_ms=400, jitter_ms=50, seed=1)
    gauges = ImportGauges()
    records = creates(900)
    async with TopicClient(
        SDKAPPID, ADMIN, SECRET, base_url=emu.url, rate_limit=400, adaptive=False, retry=FAST
    ) as client:
        outcomes = [
            outcome
            async for outcome in import_topics(
                client, records, command="create", gauges=gauges, settle_wait=SHORT_WAIT
            )
        ]
    assert {outcome.status for outcome in outcomes} == {"imported"}
    assert len(emu.topics(GROUP)) == len(records)
    # 400 calls/s at 0.4 s each need 160 in flight: the target grew past the old 64.
    assert gauges.peak_in_flight > 100
    assert gauges.in_flight == 0


@pytest.fixture
def peak_box() -> dict[str, int]:
    return {"now": 0, "peak": 0}


async def counting_proxy(target: str, box: dict[str, int]) -> AsyncIterator[str]:
    """A loopback HTTP proxy in front of the emulator that counts requests in progress."""
    session = aiohttp.ClientSession()

    async def forward(request: web.Request) -> web.Response:
        box["now"] += 1
        box["peak"] = max(box["peak"], box["now"])
        try:
            async with session.post(
                target + request.path_qs, data=await request.read(), headers=request.headers
            ) as answer:
                return web.Response(
                    body=await answer.read(),
                    status=answer.status,
                    content_type=answer.content_type,
                )
        finally:
            box["now"] -= 1

    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", forward)
    try:
        async with serving(app) as url:
            yield url
    finally:
        await session.close()


@pytest.mark.asyncio
async def test_an_explicit_concurrency_is_never_exceeded(
    emu: Emulator, peak_box: dict[str, int]
) -> None:
    emu.set_faults(latency_ms=400, jitter_ms=50, seed=2)
    gauges = ImportGauges()
    records = creates(40)
    async for url in counting_proxy(emu.url, peak_box):
        async with TopicClient(
            SDKAPPID, ADMIN, SECRET, base_url=url, rate_limit=400, adaptive=False, retry=FAST
        ) as client:
            outcomes = [
                outcome
                async for outcome in import_topics(
                    client, records, 10, "create", gauges=gauges, settle_wait=SHORT_WAIT
                )
            ]
    assert {outcome.status for outcome in outcomes} == {"imported"}
    assert peak_box["peak"] == 10  # seen by the server side: reached, never passed
    assert gauges.peak_in_flight == 10
