"""A far service that stalls, over real HTTP on loopback: calls arriving during the stall
take its latency, later ones do not; and what the stats show of it (the busiest second of
arrivals, calls per second). The emulator's clock is a fake one: no sleeping, no timing."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from support.constants import GROUP, SDKAPPID, SECRET
from support.emulator_calls import PATHS, query

from tim_topics.emulator import Emulator
from tim_topics.errors import ValidationError

pytestmark = pytest.mark.asyncio

CREATE = {"GroupId": GROUP, "TopicName": "t"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


async def post(http: aiohttp.ClientSession, emu: Emulator, command: str, body: Any) -> int:
    async with http.post(emu.url + PATHS[command], params=query(), json=body) as response:
        assert response.status == 200
        code: int = (await response.json())["ErrorCode"]
        return code


async def test_calls_during_the_stall_take_it_and_later_ones_do_not(
    http: aiohttp.ClientSession,
) -> None:
    clock = FakeClock()
    async with Emulator(sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP], clock=clock) as emu:
        emu.set_faults(latency_ms=1)
        stall = emu.stall(latency_ms=30, jitter_ms=10, seconds=0.4)
        assert emu.stall_plan == stall
        assert await post(http, emu, "create_topic", CREATE) == 0
        assert await post(http, emu, "get_topic", {"GroupId": GROUP, "From_Account": "u"}) == 0
        assert emu.stats.stalled == 2
        assert emu.stats["create_topic"].stalled == 1
        clock.now += 0.4  # the stall is over: fast again
        assert emu.stall_plan is None
        assert await post(http, emu, "create_topic", CREATE) == 0
        stats = emu.stats["create_topic"]
        assert (stats.admitted, stats.stalled, stats.answers) == (2, 1, {0: 2})
        assert len(emu.topics(GROUP)) == 2
        assert emu.faults.latency_ms == 1  # the configured latency was never changed


async def test_a_planned_stall_starts_later_and_can_be_ended(http: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    async with Emulator(sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP], clock=clock) as emu:
        emu.stall(latency_ms=20, seconds=5, after=1, commands=["create_topic"])
        assert await post(http, emu, "create_topic", CREATE) == 0
        clock.now += 1
        assert await post(http, emu, "get_topic", {"GroupId": GROUP, "From_Account": "u"}) == 0
        assert emu.stats.stalled == 0  # too early, then another command
        assert await post(http, emu, "create_topic", CREATE) == 0
        assert emu.stats["create_topic"].stalled == 1
        emu.end_stall()
        assert await post(http, emu, "create_topic", CREATE) == 0
        assert emu.stats["create_topic"].stalled == 1
        emu.stall(latency_ms=20, seconds=5)
        emu.clear_faults()
        assert emu.stall_plan is None


async def test_refused_calls_do_not_stall(http: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    async with Emulator(
        sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP], clock=clock, rate_limit=1
    ) as emu:
        emu.stall(latency_ms=10, seconds=10)
        codes = [await post(http, emu, "create_topic", CREATE) for _ in range(3)]
        assert codes == [0, 10006, 10006]
        stats = emu.stats["create_topic"]
        assert (stats.stalled, stats.rate_limited) == (1, 2)


async def test_stats_show_the_busiest_second_sent_and_calls_per_second(
    http: aiohttp.ClientSession,
) -> None:
    clock = FakeClock()
    async with Emulator(
        sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP], clock=clock, rate_limit=3
    ) as emu:
        emu.reset_stats()  # the timelines count from here: second 0
        clock.now += 0.2
        first = await asyncio.gather(*(post(http, emu, "create_topic", CREATE) for _ in range(5)))
        clock.now += 1.5
        second = [await post(http, emu, "create_topic", CREATE) for _ in range(2)]
        assert sorted(first) == [0, 0, 0, 10006, 10006] and second == [0, 0]
        stats = emu.stats["create_topic"]
        assert (stats.peak_window, stats.peak_arrivals) == (3, 5)
        assert emu.stats.peak_arrivals == 5
        timeline = stats.timeline
        assert (timeline.first_second, timeline.arrived, timeline.admitted) == (0, (5, 2), (3, 2))
        assert timeline.first_admitted_at == pytest.approx(0.2)
        assert timeline.last_admitted_at == pytest.approx(1.7)
        assert emu.stats["get_topic"].timeline.arrived == ()
        emu.reset_stats()
        cleared = emu.stats["create_topic"]
        assert (cleared.peak_arrivals, cleared.stalled, cleared.timeline.arrived) == (0, 0, ())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"latency_ms": 60_000, "seconds": 1}, "latency_ms"),
        ({"latency_ms": 100, "seconds": -1}, "seconds"),
        ({"latency_ms": 100, "seconds": 1, "jitter_ms": "x"}, "jitter_ms"),
        ({"latency_ms": 100, "seconds": 1, "after": 10**6}, "after"),
    ],
)
async def test_a_bad_stall_is_refused_before_anything_changes(
    kwargs: dict[str, Any], field: str
) -> None:
    emu = Emulator(sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP])
    with pytest.raises(ValidationError) as caught:
        emu.stall(**kwargs)
    assert caught.value.field == field and field in str(caught.value)
    assert emu.stall_plan is None
