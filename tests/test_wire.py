"""The converter against the API pages' own samples: each request and answer sample
round-trips through the records unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tim_topics.errors import DecodeError
from tim_topics.messages import (
    Answer,
    CreateTopicRequest,
    DestroyTopicAnswer,
    DestroyTopicRequest,
    GetTopicAnswer,
    GetTopicRequest,
    ImportTopicRequest,
    ModifyTopicRequest,
    TopicIdAnswer,
)
from tim_topics.models import Topic
from tim_topics.wire import from_wire, to_wire, wire_name

GOLDEN = Path(__file__).parent / "golden"

SHAPES: dict[str, tuple[type, type]] = {
    "create_topic": (CreateTopicRequest, TopicIdAnswer),
    "import_topic": (ImportTopicRequest, TopicIdAnswer),
    "get_topic": (GetTopicRequest, GetTopicAnswer),
    "modify_topic": (ModifyTopicRequest, Answer),
    "destroy_topic": (DestroyTopicRequest, DestroyTopicAnswer),
}


def samples(kind: str) -> list[tuple[str, type, dict[str, Any]]]:
    found = []
    for command, (request_type, answer_type) in SHAPES.items():
        data = json.loads((GOLDEN / f"{command}.json").read_text())
        record_type = request_type if kind == "requests" else answer_type
        found += [(command, record_type, sample) for sample in data[kind]]
    return found


@pytest.mark.parametrize(("command", "record_type", "sample"), samples("requests"))
def test_request_samples_round_trip(
    command: str, record_type: type, sample: dict[str, Any]
) -> None:
    record = from_wire(sample, record_type)
    # import_topic's optional "Type" can only be "Community": the client never sends it
    expected = {k: v for k, v in sample.items() if not (command == "import_topic" and k == "Type")}
    assert to_wire(record) == expected


@pytest.mark.parametrize(("command", "record_type", "sample"), samples("answers"))
def test_answer_samples_round_trip(command: str, record_type: type, sample: dict[str, Any]) -> None:
    record = from_wire(sample, record_type)
    assert to_wire(record) == sample


def test_topic_answer_spells_group_id_with_capital_d() -> None:
    assert wire_name(Topic, "group_id") == "GroupID"
    assert wire_name(CreateTopicRequest, "group_id") == "GroupId"
    assert to_wire(Topic(group_id="g", topic_id="t")) == {"GroupID": "g", "TopicId": "t"}


def test_mute_all_member_is_on_off_on_the_wire() -> None:
    request = ModifyTopicRequest(group_id="g", topic_id="t", mute_all_member=False)
    assert to_wire(request) == {"GroupId": "g", "TopicId": "t", "MuteAllMember": "Off"}
    with pytest.raises(DecodeError, match="mute_all_member"):
        from_wire({"MuteAllMember": "Yes"}, Topic)


def test_unknown_answer_fields_are_allowed() -> None:
    answer = from_wire(
        {"ErrorCode": 0, "TopicId": "x", "RequestId": "r", "NewField": 1}, TopicIdAnswer
    )
    assert answer.topic_id == "x" and answer.request_id == "r"


@pytest.mark.parametrize(
    "bad",
    [
        {"ErrorCode": 0, "TopicAndSelfInfo": "not a list"},
        {"ErrorCode": 0, "TopicAndSelfInfo": [{"TopicInfo": {"NextMsgSeq": "1"}}]},
        {"ErrorCode": 0, "TopicAndSelfInfo": [{"ErrorCode": True}]},
        {"ErrorCode": 0, "TopicAndSelfInfo": [{"TopicInfo": {"TopicName": 5}}]},
    ],
)
def test_wrong_types_are_decode_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(DecodeError):
        from_wire(bad, GetTopicAnswer)


def test_non_object_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="expected a JSON object"):
        from_wire([1], Answer)
