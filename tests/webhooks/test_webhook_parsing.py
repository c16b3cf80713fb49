"""parse_webhook against the vendor's sample bodies (built from NOTES.md's table)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.constants import GROUP

from tim_topics import TimTopicsError
from tim_topics.webhooks import (
    EVENT_TYPES,
    AfterCreateTopic,
    AfterTopicDestroyed,
    AfterTopicInfoChanged,
    BeforeCreateTopic,
    UnknownWebhook,
    UserDefinedData,
    WebhookParseError,
    parse_webhook,
)

TOPIC = "@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_TestTopic"

BEFORE: dict[str, Any] = {
    "CallbackCommand": "Group.CallbackBeforeCreateTopic",
    "Operator_Account": "leckie",
    "Type": "Community",
    "Name": "TestTopic",
}
AFTER_CREATE: dict[str, Any] = {
    "CallbackCommand": "Group.CallbackAfterCreateTopic",
    "GroupId": GROUP,
    "TopicId": TOPIC,
    "Operator_Account": "leckie",
    "Owner_Account": "leckie",
    "Type": "Community",
    "Name": "TestTopic",
    "UserDefinedDataList": [
        {"Key": "UserDefined1", "Value": "hello"},
        {"Key": "UserDefined2", "Value": "world"},
    ],
}
AFTER_DESTROYED: dict[str, Any] = {
    "CallbackCommand": "Group.CallbackAfterTopicDestroyed",
    "GroupId": GROUP,
    "Type": "Community",
    "TopicIdList": [TOPIC],
}
AFTER_INFO_CHANGED: dict[str, Any] = {
    "CallbackCommand": "Group.CallbackAfterTopicInfoChanged",
    "GroupId": GROUP,
    "Type": "Community",
    "Operator_Account": "admin",
    "Name": "NewName",
    "Introduction": "This is a topic introduction",
    "Notification": "This is a topic notification",
    "FaceUrl": "http://this.is.new.face.url",
}
SAMPLES: list[dict[str, Any]] = [BEFORE, AFTER_CREATE, AFTER_DESTROYED, AFTER_INFO_CHANGED]


def query(body: dict[str, Any], **extra: str) -> dict[str, str]:
    return {
        "SdkAppid": "1400000000",
        "CallbackCommand": body["CallbackCommand"],
        "contenttype": "json",
        "ClientIP": "203.0.113.7",
        "OptPlatform": "RESTAPI",
        **extra,
    }


def test_before_create_topic_sample() -> None:
    event = parse_webhook(query(BEFORE), json.dumps(BEFORE).encode())
    assert event == BeforeCreateTopic(
        sdkappid=1400000000,
        client_ip="203.0.113.7",
        opt_platform="RESTAPI",
        operator_account="leckie",
        group_type="Community",
        topic_name="TestTopic",
    )
    assert event.group_id is None


def test_after_create_topic_sample() -> None:
    event = parse_webhook(query(AFTER_CREATE, RequestTime="1669872112"), AFTER_CREATE)
    assert isinstance(event, AfterCreateTopic)
    assert (event.group_id, event.topic_id) == (GROUP, TOPIC)
    assert (event.operator_account, event.owner_account) == ("leckie", "leckie")
    assert (event.group_type, event.topic_name) == ("Community", "TestTopic")
    assert event.user_defined_data == [
        UserDefinedData(key="UserDefined1", value="hello"),
        UserDefinedData(key="UserDefined2", value="world"),
    ]
    assert event.request_time == 1669872112


def test_after_topic_destroyed_sample() -> None:
    event = parse_webhook(query(AFTER_DESTROYED), json.dumps(AFTER_DESTROYED))
    assert event == AfterTopicDestroyed(
        sdkappid=1400000000,
        client_ip="203.0.113.7",
        opt_platform="RESTAPI",
        group_id=GROUP,
        group_type="Community",
        topic_id_list=[TOPIC],
    )


def test_after_topic_info_changed_sample() -> None:
    event = parse_webhook(query(AFTER_INFO_CHANGED), AFTER_INFO_CHANGED)
    assert isinstance(event, AfterTopicInfoChanged)
    assert event.group_id == GROUP
    assert event.operator_account == "admin"
    assert event.topic_name == "NewName"
    assert event.introduction == "This is a topic introduction"
    assert event.notification == "This is a topic notification"
    assert event.face_url == "http://this.is.new.face.url"
    assert event.topic_id is None


def test_info_changed_accepts_a_topic_id_and_partial_fields() -> None:
    body = {"CallbackCommand": AFTER_INFO_CHANGED["CallbackCommand"], "TopicId": TOPIC}
    body["Notification"] = "only this changed"
    event = parse_webhook({}, body)
    assert isinstance(event, AfterTopicInfoChanged)
    assert event.topic_id == TOPIC
    assert event.notification == "only this changed"
    assert event.topic_name is None and event.face_url is None


def test_destroyed_accepts_a_single_string_topic_id_list() -> None:
    event = parse_webhook({}, {**AFTER_DESTROYED, "TopicIdList": TOPIC})
    assert isinstance(event, AfterTopicDestroyed)
    assert event.topic_id_list == [TOPIC]


def test_every_known_command_has_a_sample() -> None:
    assert {sample["CallbackCommand"] for sample in SAMPLES} == set(EVENT_TYPES)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s["CallbackCommand"])
def test_only_the_command_is_required(sample: dict[str, Any]) -> None:
    event = parse_webhook({}, {"CallbackCommand": sample["CallbackCommand"]})
    assert type(event) is EVENT_TYPES[sample["CallbackCommand"]]
    assert event.sdkappid is None and event.request_time is None


def test_json_null_counts_as_absent() -> None:
    event = parse_webhook({}, {**AFTER_CREATE, "UserDefinedDataList": None, "Name": None})
    assert isinstance(event, AfterCreateTopic)
    assert event.user_defined_data == [] and event.topic_name is None


def test_command_comes_from_the_query_first_then_the_body() -> None:
    body = {k: v for k, v in BEFORE.items() if k != "CallbackCommand"}
    assert isinstance(parse_webhook(query(BEFORE), body), BeforeCreateTopic)
    assert isinstance(parse_webhook({}, BEFORE), BeforeCreateTopic)
    mixed = parse_webhook({"CallbackCommand": AFTER_DESTROYED["CallbackCommand"]}, BEFORE)
    assert isinstance(mixed, AfterTopicDestroyed)


def test_the_body_cannot_override_the_query_context() -> None:
    event = parse_webhook(query(BEFORE), {**BEFORE, "SdkAppid": 999, "ClientIP": "10.0.0.1"})
    assert (event.sdkappid, event.client_ip) == (1400000000, "203.0.113.7")


def test_unknown_command_keeps_command_and_raw_body() -> None:
    body = {"CallbackCommand": "Group.CallbackAfterSomethingNew", "Answer": [42]}
    event = parse_webhook(query(body, RequestTime="1700000000"), json.dumps(body))
    assert isinstance(event, UnknownWebhook)
    assert event.command == "Group.CallbackAfterSomethingNew"
    assert event.body == body
    assert (event.sdkappid, event.request_time) == (1400000000, 1700000000)


@settings(max_examples=50, deadline=None)
@given(
    extra=st.dictionaries(
        st.text(min_size=1).filter(lambda k: k[:1].islower() or k.startswith("X")),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(),
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3)
            ),
            max_leaves=5,
        ),
        max_size=5,
    ),
    sample=st.sampled_from(SAMPLES),
)
def test_unknown_extra_fields_are_ignored(extra: dict[str, Any], sample: dict[str, Any]) -> None:
    assert parse_webhook({}, {**extra, **sample}) == parse_webhook({}, sample)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BEFORE, "Name": 5}, "Name"),
        ({**BEFORE, "Operator_Account": ["x"]}, "Operator_Account"),
        ({**AFTER_DESTROYED, "TopicIdList": [1]}, "TopicIdList"),
        ({**AFTER_DESTROYED, "TopicIdList": {"a": 1}}, "TopicIdList"),
        ({**AFTER_CREATE, "UserDefinedDataList": [{"Key": "k"}]}, "UserDefinedDataList"),
        ({**AFTER_CREATE, "UserDefinedDataList": "k=v"}, "UserDefinedDataList"),
        ({**AFTER_INFO_CHANGED, "FaceUrl": 3.5}, "FaceUrl"),
    ],
)
def test_wrong_types_in_known_fields_name_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(WebhookParseError) as caught:
        parse_webhook({}, body)
    assert caught.value.field == field
    assert field in str(caught.value)
    assert isinstance(caught.value, TimTopicsError)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"\xff\xfe", "not JSON"),
        ("{not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('"text"', "JSON object"),
        ({"Name": "x"}, "CallbackCommand"),
        ({"CallbackCommand": 7}, "CallbackCommand"),
    ],
)
def test_unreadable_bodies(body: bytes | str | dict[str, Any], needle: str) -> None:
    with pytest.raises(WebhookParseError, match=needle):
        parse_webhook({}, body)


@pytest.mark.parametrize("name", ["SdkAppid", "RequestTime"])
def test_non_numeric_context_is_a_clear_error(name: str) -> None:
    with pytest.raises(WebhookParseError, match=name) as caught:
        parse_webhook({name: "14e9"}, BEFORE)
    assert caught.value.field == name
