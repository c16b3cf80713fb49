"""The emulator's stats while it runs (``GET /stats``, JSON) and its summary table, with
injected faults counted; ``set_faults`` with a ready :class:`FaultRates` record."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from support.constants import GROUP, SDKAPPID, SECRET
from support.emulator_calls import PATHS, Call, query

from tim_topics.emulator import Emulator, FaultRates
from tim_topics.emulator.report import stats_json, summary_lines
from tim_topics.errors import ValidationError

pytestmark = pytest.mark.asyncio


async def test_get_stats_shows_calls_answers_and_faults(http: aiohttp.ClientSession) -> None:
    # A clock that stands still: every call is in the same sliding second.
    async with Emulator(
        sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP], clock=lambda: 50.0
    ) as emu:

        async def call(command: str, body: dict[str, Any]) -> dict[str, Any]:
            async with http.post(emu.url + PATHS[command], params=query(), json=body) as response:
                answer: dict[str, Any] = await response.json()
                return answer

        await check_stats(emu, call, http)


async def check_stats(emu: Emulator, call: Call, http: aiohttp.ClientSession) -> None:
    emu.fail_next("create_topic", code=10002)
    emu.fail_next("get_topic", kind="http_502")
    assert (await call("create_topic", {"GroupId": GROUP, "TopicName": "t"}))["ErrorCode"] == 10002
    assert (await call("create_topic", {"GroupId": GROUP, "TopicName": "t"}))["ErrorCode"] == 0
    async with http.post(emu.url + PATHS["get_topic"], params=query(), json={}) as response:
        assert response.status == 502
    emu.set_rate_limit(1, command="modify_topic")
    body = {"GroupId": GROUP, "TopicId": GROUP + "@TOPIC#_never"}
    assert (await call("modify_topic", body))["ErrorCode"] == 10010
    assert (await call("modify_topic", body))["ErrorCode"] == 10006

    async with http.get(emu.url + "/stats") as response:
        assert response.status == 200 and response.content_type == "application/json"
        shown: dict[str, Any] = await response.json()
    assert shown == stats_json(emu.stats)
    create = shown["commands"]["create_topic"]
    assert create["calls"] == 2 and create["answers"] == {"0": 1, "10002": 1}
    assert create["injected_errors"] == 1 and create["peak_window"] == 2
    assert shown["commands"]["get_topic"]["http_502"] == 1
    assert shown["commands"]["modify_topic"]["rate_limited"] == 1
    assert (shown["calls"], shown["faults"], shown["rate_limited"]) == (5, 2, 1)
    assert shown["answers"] == {"0": 1, "10002": 1, "10006": 1, "10010": 1}

    table = [line.split() for line in summary_lines(emu.stats)]
    assert table[0] == ["command", "calls", "ok", "10006", "faults", "peak/s"]
    assert table[1] == ["create_topic", "2", "1", "0", "1", "2"]
    assert ["get_topic", "1", "0", "0", "1", "1"] in table
    assert ["modify_topic", "2", "0", "1", "0", "1"] in table
    assert table[-1] == ["total", "5", "1", "1", "2", "2"]


async def test_stats_is_not_a_command_path(emu: Emulator, http: aiohttp.ClientSession) -> None:
    async with http.post(emu.url + "/stats", params=query(), json={}) as response:
        answer = await response.json()
    assert answer["ErrorCode"] == 60009  # only GET shows the stats
    async with http.get(emu.url + "/stats") as response:
        assert (await response.json())["unrouted"] == 1


async def test_set_faults_takes_a_record_or_keywords_not_both(emu: Emulator) -> None:
    rates = FaultRates(error_rate={10002: 0.5}, latency_ms=20, commands=["get_topic"])
    emu.set_faults(rates)
    assert emu.faults is rates
    emu.set_faults(http_502_rate=0.25)
    assert emu.faults == FaultRates(http_502_rate=0.25)
    with pytest.raises(ValueError, match="not both"):
        emu.set_faults(rates, seed=3)
    with pytest.raises(ValidationError, match="http_502_rate must be a number from 0 to 1"):
        FaultRates(http_502_rate=1.5)
    with pytest.raises(ValidationError, match=r"add up to 1\.2"):
        emu.set_faults(error_rate={10002: 0.7}, drop_after_rate=0.5)
    assert emu.faults == FaultRates(http_502_rate=0.25)  # a refused record changes nothing
