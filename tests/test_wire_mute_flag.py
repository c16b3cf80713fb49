"""A topic's mute flag: ``MuteAllMember`` ("On"/"Off"), or ``ShutUpAllFlag`` (0/1) when an
answer carries that instead (as a peer SDK maps it)."""

from __future__ import annotations

import pytest
from support.constants import ADMIN, GROUP, SDKAPPID, SECRET
from support.scripted import ScriptedServer, ok

from tim_topics import TopicClient
from tim_topics.errors import DecodeError
from tim_topics.messages import GetTopicAnswer
from tim_topics.models import Topic
from tim_topics.wire import from_wire

TOPIC = f"{GROUP}@TOPIC#_t"


@pytest.mark.parametrize(
    ("fields", "muted"),
    [
        ({"MuteAllMember": "On"}, True),
        ({"MuteAllMember": "Off"}, False),
        ({"ShutUpAllFlag": 1}, True),
        ({"ShutUpAllFlag": 0}, False),
        ({"MuteAllMember": "Off", "ShutUpAllFlag": 1}, False),  # the documented one wins
        ({"MuteAllMember": None, "ShutUpAllFlag": 1}, True),
        ({}, None),
    ],
)
def test_mute_flag_from_either_field(fields: dict[str, object], muted: bool | None) -> None:
    assert from_wire({"TopicId": TOPIC, **fields}, Topic).mute_all_member is muted


@pytest.mark.parametrize("flag", [2, "1", True, -1])
def test_a_shut_up_all_flag_other_than_0_or_1_is_a_decode_error(flag: object) -> None:
    with pytest.raises(DecodeError, match="ShutUpAllFlag"):
        from_wire({"TopicId": TOPIC, "ShutUpAllFlag": flag}, Topic)


def test_nested_in_a_get_topic_answer() -> None:
    answer = from_wire(
        {"TopicAndSelfInfo": [{"ErrorCode": 0, "TopicInfo": {"ShutUpAllFlag": 1}}]},
        GetTopicAnswer,
    )
    assert answer.topic_and_self_info[0].topic is not None
    assert answer.topic_and_self_info[0].topic.mute_all_member is True


@pytest.mark.asyncio
async def test_get_topic_over_http_reads_shut_up_all_flag(scripted: ScriptedServer) -> None:
    scripted.reply(
        ok(
            TopicAndSelfInfo=[
                {"ErrorCode": 0, "TopicInfo": {"TopicId": TOPIC, "ShutUpAllFlag": 1}},
                {"ErrorCode": 0, "TopicInfo": {"TopicId": TOPIC + "2", "ShutUpAllFlag": 0}},
            ]
        )
    )
    async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=scripted.url) as client:
        results = await client.get_topic(GROUP)
    flags = [r.topic.mute_all_member if r.topic else "no topic" for r in results]
    assert flags == [True, False]
    assert scripted.seen[0].path.endswith("/get_topic")
