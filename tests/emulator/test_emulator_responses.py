"""Long answers are rendered and encoded a slice per turn of the service's event loop, and
come out the same as in one go: over loopback HTTP, and for the encoder on its own."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any, TypeVar

import aiohttp
import pytest
from support.constants import ADMIN, GROUP, SDKAPPID, SECRET
from support.emulator_calls import PATHS, query

from tim_topics.emulator import Emulator
from tim_topics.emulator.backend import TopicBackend
from tim_topics.emulator.hooks import NoWebhooks
from tim_topics.emulator.responses import ITEMS_PER_TURN, TopicResponses, encode_answer

pytestmark = pytest.mark.asyncio

T = TypeVar("T")


async def turns_while(work: Awaitable[T]) -> tuple[T, int]:
    """``work``'s result, and how many turns another task got while it ran."""
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)  # the ticker is running
    ticks = 0
    try:
        result = await work
    finally:
        done = True
        await task
    return result, ticks


def long_answer(count: int) -> dict[str, Any]:
    return {
        "ActionStatus": "OK",
        "ErrorInfo": "ok",
        "ErrorCode": 0,
        "TopicAndSelfInfo": [
            {"ErrorCode": 0, "TopicInfo": {"TopicId": f"t-{i}", "TopicName": f"话题 {i}"}}
            for i in range(count)
        ],
        "After": ["x", 1],
    }


@pytest.mark.parametrize("count", [0, 1, ITEMS_PER_TURN, ITEMS_PER_TURN + 1, 3 * ITEMS_PER_TURN])
async def test_an_answer_is_encoded_as_json_dumps_encodes_it(count: int) -> None:
    answer = long_answer(count)
    expected = json.dumps(answer, ensure_ascii=False).encode("utf-8")
    assert await encode_answer(answer) == expected


async def test_a_long_answer_lets_the_loop_turn_while_it_is_encoded() -> None:
    slices = 8
    _, ticks = await turns_while(encode_answer(long_answer(slices * ITEMS_PER_TURN)))
    assert ticks >= slices - 1
    _, ticks = await turns_while(encode_answer(long_answer(ITEMS_PER_TURN)))
    assert ticks == 0  # a short one in one go


async def test_a_whole_large_group_is_served_whole() -> None:
    count = 4 * ITEMS_PER_TURN + 7
    emulator = Emulator(sdkappid=SDKAPPID, secret_key=SECRET, identifier=ADMIN, groups=[GROUP])
    async with emulator as emu, aiohttp.ClientSession() as http:
        for i in range(count):
            emu.backend.import_topic({"GroupId": GROUP, "TopicName": f"n{i}"})
        in_one_go = emu.backend.get_topic({"GroupId": GROUP, "From_Account": "u"}).answer
        async with http.post(
            emu.url + PATHS["get_topic"],
            params=query(),
            json={"GroupId": GROUP, "From_Account": "u"},
        ) as response:
            assert response.status == 200
            served = await response.json()
    assert served == in_one_go
    assert len(served["TopicAndSelfInfo"]) == count


async def test_a_whole_large_group_is_rendered_in_turns() -> None:
    slices = 6
    responses = TopicResponses(TopicBackend(admin_identifier=ADMIN))
    responses.add_group(GROUP)
    for i in range(slices * ITEMS_PER_TURN):
        responses.import_topic({"GroupId": GROUP, "TopicName": f"n{i}"})
    body = json.dumps({"GroupId": GROUP, "From_Account": "u"}).encode()
    outcome, ticks = await turns_while(responses.respond("get_topic", body, NoWebhooks()))
    assert len(outcome.answer["TopicAndSelfInfo"]) == slices * ITEMS_PER_TURN
    assert ticks >= slices - 1
