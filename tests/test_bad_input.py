"""Bad input, case by case: each gets the error it must get, and nothing is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from support.constants import ADMIN, GROUP, SDKAPPID, SECRET
from support.scripted import ScriptedServer

from tim_topics import TopicClient, ValidationError

T = GROUP + "@TOPIC#_@TOPIC#cRTE3HIM62C5"
HAN = "话"  # 3 bytes in UTF-8

Call = Callable[[TopicClient], Awaitable[Any]]

CASES: list[tuple[str, Call, str]] = [
    # over-length by one byte, with 3-byte characters at the boundary
    (
        "name 31 bytes",
        lambda c: c.create_topic(GROUP, "a" + HAN * 10),
        "topic_name is 31 bytes, the limit is 30",
    ),
    (
        "name 32 bytes",
        lambda c: c.import_topic(GROUP, "aa" * 1 + "a" * 27 + HAN),
        "topic_name is 32 bytes, the limit is 30",
    ),
    (
        "introduction 241",
        lambda c: c.create_topic(GROUP, "t", introduction="a" + HAN * 80),
        "introduction is 241 bytes, the limit is 240",
    ),
    (
        "notification 301",
        lambda c: c.import_topic(GROUP, "t", notification="a" + HAN * 100),
        "notification is 301 bytes, the limit is 300",
    ),
    (
        "face_url 101",
        lambda c: c.create_topic(GROUP, "t", face_url="h" * 101),
        "face_url is 101 bytes, the limit is 100",
    ),
    (
        "custom_string 3001",
        lambda c: c.create_topic(GROUP, "t", custom_string="a" + HAN * 1000),
        "custom_string is 3001 bytes, the limit is 3000",
    ),
    (
        "modify name 31",
        lambda c: c.modify_topic(GROUP, T, topic_name="a" + HAN * 10),
        "topic_name is 31 bytes",
    ),
    (
        "modify notification 301",
        lambda c: c.modify_topic(GROUP, T, notification="b" + HAN * 100),
        "notification is 301 bytes",
    ),
    # empty names
    ("empty name on create", lambda c: c.create_topic(GROUP, ""), "topic_name is empty"),
    ("empty name on import", lambda c: c.import_topic(GROUP, ""), "topic_name is empty"),
    (
        "empty name on modify",
        lambda c: c.modify_topic(GROUP, T, topic_name=""),
        "topic_name is empty",
    ),
    # malformed group and topic IDs
    (
        "group not a community",
        lambda c: c.create_topic("@TGS#2J4SZEAEL", "t"),
        "not a community group ID",
    ),
    ("group empty", lambda c: c.get_topic(""), "group_id is empty"),
    (
        "group too long",
        lambda c: c.create_topic("@TGS#_" + "x" * 42, "t"),
        "group_id is 48 bytes, the limit is 47",
    ),
    (
        "topic of another group",
        lambda c: c.create_topic(GROUP, "t", topic_id="@TGS#_other@TOPIC#_x"),
        "must start with the group ID",
    ),
    (
        "topic id without part",
        lambda c: c.import_topic(GROUP, "t", topic_id=GROUP + "@TOPIC#_"),
        "empty part",
    ),
    (
        "topic id 97 bytes",
        lambda c: c.create_topic(GROUP, "t", topic_id=GROUP + "@TOPIC#_" + "x" * 66),
        "topic_id is 97 bytes, the limit is 96",
    ),
    (
        "topic id with @TGS#_",
        lambda c: c.create_topic(GROUP, "t", topic_id=GROUP + "@TOPIC#_a@TGS#_b"),
        "must not contain '@TGS#_'",
    ),
    (
        "custom id in service form",
        lambda c: c.create_topic(GROUP, "t", topic_id=T),
        "must not start with or contain '@TOPIC#'",
    ),
    (
        "topic id not ASCII",
        lambda c: c.import_topic(GROUP, "t", topic_id=GROUP + "@TOPIC#_" + HAN),
        "printable ASCII",
    ),
    ("destroy nothing", lambda c: c.destroy_topic(GROUP, []), "topic_ids is empty"),
    ("destroy a string", lambda c: c.destroy_topic(GROUP, T), "must be a list of topic IDs"),
    ("get a bad id in list", lambda c: c.get_topic(GROUP, topic_ids=[T, "x"]), r"topic_ids\[1\]"),
    # wrong types
    ("name is int", lambda c: c.create_topic(GROUP, 5), "topic_name must be a str, not int"),
    (
        "group is bytes",
        lambda c: c.create_topic(GROUP.encode(), "t"),
        "group_id must be a str, not bytes",
    ),
    (
        "from_account is int",
        lambda c: c.create_topic(GROUP, "t", from_account=1400187352),
        "from_account must be a str, not int",
    ),
    (
        "mute is 'On'",
        lambda c: c.modify_topic(GROUP, T, mute_all_member="On"),
        "mute_all_member must be a bool",
    ),
    (
        "create_time is str",
        lambda c: c.import_topic(GROUP, "t", create_time="2015-11-24"),
        "create_time must be an int",
    ),
    (
        "create_time is bool",
        lambda c: c.import_topic(GROUP, "t", create_time=True),
        "create_time must be an int",
    ),
    (
        "create_time naive",
        lambda c: c.import_topic(GROUP, "t", create_time=datetime(2015, 1, 1)),
        "naive datetime",
    ),
    (
        "create_time fraction",
        lambda c: c.import_topic(
            GROUP, "t", create_time=datetime(2015, 1, 1, 0, 0, 0, 5, tzinfo=timezone.utc)
        ),
        "fraction of a second",
    ),
    (
        "create_time negative",
        lambda c: c.import_topic(GROUP, "t", create_time=-5),
        "outside 0 to 4294967295",
    ),
    (
        "response_filter a str",
        lambda c: c.get_topic(GROUP, response_filter="topic_name"),
        "not a str",
    ),
    (
        "response_filter unknown",
        lambda c: c.get_topic(GROUP, response_filter=["TopicName"]),
        "not a Topic field",
    ),
    # text that is not UTF-8 (lone surrogates from a bad decode)
    ("name with lone surrogate", lambda c: c.create_topic(GROUP, "bad\udcff"), "not valid UTF-8"),
    (
        "intro with lone surrogate",
        lambda c: c.import_topic(GROUP, "t", introduction="\ud800"),
        "not valid UTF-8",
    ),
    # nothing to change
    ("modify nothing", lambda c: c.modify_topic(GROUP, T, from_account="u1"), "nothing to modify"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("case", "call", "message"), CASES, ids=[c[0] for c in CASES])
async def test_bad_input_is_refused_before_sending(
    scripted: ScriptedServer, case: str, call: Call, message: str
) -> None:
    async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=scripted.url) as client:
        with pytest.raises(ValidationError, match=message) as caught:
            await call(client)
    assert caught.value.field in str(caught.value) or caught.value.field == "modify_topic"
    assert scripted.seen == []


def test_there_are_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30
