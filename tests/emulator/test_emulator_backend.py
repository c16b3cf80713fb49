"""The backend's rules on raw wire dicts through the responses layer, without HTTP: every
documented error code, the stored fields, ResponseFilter, per-topic results and the events
for the webhooks; and the typed backend methods on their own."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from support.constants import GROUP, OTHER_GROUP, PLAIN_GROUP

from tim_topics.emulator.backend import (
    TopicBackend,
    TopicCreated,
    TopicInfoChanged,
    TopicsDestroyed,
)
from tim_topics.emulator.errors import ServiceError
from tim_topics.emulator.responses import TopicResponses
from tim_topics.emulator.spec import TOPIC_INFO_KEYS
from tim_topics.models import Topic

NOW = 1_700_000_000
CUSTOM = GROUP + "@TOPIC#_TestTopic"
ASSIGNED = re.compile(re.escape(GROUP) + r"@TOPIC#_@TOPIC#c[A-Z0-9]{11}")


@pytest.fixture
def state() -> TopicBackend:
    backend = TopicBackend(
        admin_identifier="administrator", wall_clock=lambda: NOW + 0.7, id_rng=random.Random(7)
    )
    backend.add_group(GROUP)
    backend.add_group(OTHER_GROUP)
    backend.add_group(PLAIN_GROUP, topics=False)
    return backend


@pytest.fixture
def backend(state: TopicBackend) -> TopicResponses:
    return TopicResponses(state)


def create(backend: TopicResponses, **body: Any) -> str:
    outcome = backend.create_topic({"GroupId": GROUP, "TopicName": "t", **body})
    assert outcome.error_code == 0, outcome.answer
    topic_id: str = outcome.answer["TopicId"]
    return topic_id


def code_of(answer: dict[str, Any]) -> int:
    if answer["ErrorCode"]:
        assert answer["ActionStatus"] == "FAIL"
        assert answer["ErrorInfo"]
    code: int = answer["ErrorCode"]
    return code


# -- create and import -----------------------------------------------------------------------


def test_create_assigns_an_id_in_the_services_style(backend: TopicResponses) -> None:
    outcome = backend.create_topic({"GroupId": GROUP, "TopicName": "TestTopic"})
    assert outcome.answer == {
        "ActionStatus": "OK",
        "ErrorInfo": "",
        "ErrorCode": 0,
        "TopicId": outcome.answer["TopicId"],
    }
    assert ASSIGNED.fullmatch(outcome.answer["TopicId"])
    assert outcome.event == TopicCreated(
        group_id=GROUP,
        topic_id=outcome.answer["TopicId"],
        operator_account="administrator",
        owner_account="administrator",
        topic_name="TestTopic",
    )


def test_assigned_ids_are_unique(backend: TopicResponses) -> None:
    ids = {create(backend) for _ in range(200)}
    assert len(ids) == 200


def test_create_stores_every_field_with_defaults(backend: TopicResponses) -> None:
    topic_id = create(
        backend,
        TopicId=CUSTOM,
        TopicName="TestTopic",
        From_Account="1400187352",
        CustomString="custom",
        FaceUrl="http://this.is.face.url",
        Notification="notice",
        Introduction="intro",
        UnknownKey={"ignored": True},
    )
    assert topic_id == CUSTOM
    assert backend.topics(GROUP) == [
        Topic(
            group_id=GROUP,
            topic_id=CUSTOM,
            topic_name="TestTopic",
            face_url="http://this.is.face.url",
            notification="notice",
            introduction="intro",
            custom_string="custom",
            create_time=NOW,
            last_msg_time=0,
            next_msg_seq=1,
            mute_all_member=False,
        )
    ]


def test_the_operator_is_from_account(backend: TopicResponses) -> None:
    outcome = backend.create_topic({"GroupId": GROUP, "TopicName": "t", "From_Account": "u1"})
    assert isinstance(outcome.event, TopicCreated)
    assert (outcome.event.operator_account, outcome.event.owner_account) == ("u1", "u1")


def test_import_keeps_create_time_and_reports_no_event(backend: TopicResponses) -> None:
    outcome = backend.import_topic(
        {"GroupId": GROUP, "TopicName": "old", "CreateTime": 1448357837, "Type": "Community"}
    )
    assert outcome.error_code == 0 and outcome.event is None
    assert ASSIGNED.fullmatch(outcome.answer["TopicId"])
    assert backend.topics(GROUP)[0].create_time == 1448357837


def test_import_without_create_time_uses_now(backend: TopicResponses) -> None:
    backend.import_topic({"GroupId": GROUP, "TopicName": "new"})
    assert backend.topics(GROUP)[0].create_time == NOW


def test_custom_id_in_use_is_10025_on_create_and_10021_on_import(backend: TopicResponses) -> None:
    create(backend, TopicId=CUSTOM)
    body = {"GroupId": GROUP, "TopicName": "again", "TopicId": CUSTOM}
    assert code_of(backend.create_topic(body).answer) == 10025
    assert code_of(backend.import_topic(body).answer) == 10021
    assert [t.topic_name for t in backend.topics(GROUP)] == ["t"]


def test_a_deleted_custom_id_can_be_used_again(backend: TopicResponses) -> None:
    create(backend, TopicId=CUSTOM)
    backend.destroy_topic({"GroupId": GROUP, "TopicIdList": [CUSTOM]})
    assert create(backend, TopicId=CUSTOM, TopicName="second") == CUSTOM


def test_create_checks_the_id_again_after_the_webhook_checks(state: TopicBackend) -> None:
    state.check_create(group_id=GROUP, topic_id=CUSTOM)
    state.check_create(group_id=GROUP, topic_id=CUSTOM)  # both pass before either commits
    state.create_topic(group_id=GROUP, topic_name="t", topic_id=CUSTOM)
    with pytest.raises(ServiceError) as caught:
        state.create_topic(group_id=GROUP, topic_name="t", topic_id=CUSTOM)
    assert caught.value.code == 10025


def test_create_checks_the_group_again(state: TopicBackend) -> None:
    state.check_create(group_id=GROUP)
    state.add_group(GROUP, topics=False)
    with pytest.raises(ServiceError) as caught:
        state.create_topic(group_id=GROUP, topic_name="t")
    assert caught.value.code == 11000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"TopicName": "t"}, "GroupId is required"),
        ({"GroupId": 12, "TopicName": "t"}, "GroupId must be a string, got a number"),
        ({"GroupId": "", "TopicName": "t"}, "GroupId is empty"),
        ({"GroupId": GROUP}, "TopicName is required"),
        ({"GroupId": GROUP, "TopicName": ""}, "TopicName is empty"),
        ({"GroupId": GROUP, "TopicName": None}, "TopicName must be a string, got null"),
        ({"GroupId": GROUP, "TopicName": "x" * 31}, "TopicName is 31 bytes, the limit is 30"),
        ({"GroupId": GROUP, "TopicName": "话" * 11}, "TopicName is 33 bytes, the limit is 30"),
        ({"GroupId": GROUP, "TopicName": "\ud800"}, "TopicName is not valid UTF-8"),
        ({"GroupId": GROUP, "TopicName": "t", "From_Account": 1400187352}, "From_Account must"),
        ({"GroupId": GROUP, "TopicName": "t", "From_Account": ""}, "From_Account is empty"),
        ({"GroupId": GROUP, "TopicName": "t", "FaceUrl": "u" * 101}, "FaceUrl is 101 bytes"),
        ({"GroupId": GROUP, "TopicName": "t", "Introduction": "i" * 241}, "Introduction is 241"),
        ({"GroupId": GROUP, "TopicName": "t", "Notification": "n" * 301}, "Notification is 301"),
        ({"GroupId": GROUP, "TopicName": "t", "CustomString": "c" * 3001}, "CustomString is 3001"),
        ({"GroupId": GROUP, "TopicName": "t", "CustomString": ["c"]}, "CustomString must be a"),
        ({"GroupId": GROUP, "TopicName": "t", "TopicId": 5}, "TopicId must be a string"),
        ({"GroupId": GROUP, "TopicName": "t", "TopicId": "x@TOPIC#_a"}, "TopicId must start"),
        ({"GroupId": GROUP, "TopicName": "t", "TopicId": OTHER_GROUP + "@TOPIC#_a"}, "must start"),
        ({"GroupId": GROUP, "TopicName": "t", "TopicId": GROUP + "@TOPIC#_"}, "empty custom"),
        ({"GroupId": GROUP, "TopicName": "t", "TopicId": GROUP + "@TOPIC#_é"}, "printable ASCII"),
        ({"GroupId": GROUP, "TopicName": "t", "TopicId": GROUP + "@TOPIC#_a@TGS#_b"}, "@TGS#_"),
        ({"GroupId": GROUP, "TopicName": "t", "TopicId": GROUP + "@TOPIC#_@TOPIC#cX"}, "@TOPIC#"),
        (
            {"GroupId": GROUP, "TopicName": "t", "TopicId": GROUP + "@TOPIC#_" + "a" * 66},
            "97 bytes",
        ),
    ],
)
def test_bad_create_bodies_are_10004_naming_the_field(
    backend: TopicResponses, body: dict[str, Any], field: str
) -> None:
    for outcome in (backend.create_topic(body), backend.import_topic(body)):
        assert code_of(outcome.answer) == 10004
        assert field in outcome.answer["ErrorInfo"]
    assert backend.topics(GROUP) == []


def test_the_longest_custom_id_is_accepted(backend: TopicResponses) -> None:
    topic_id = GROUP + "@TOPIC#_" + "a" * (96 - len(GROUP) - 8)
    assert len(topic_id) == 96
    assert create(backend, TopicId=topic_id) == topic_id


def test_byte_limits_are_inclusive(backend: TopicResponses) -> None:
    create(backend, TopicName="话" * 10, FaceUrl="u" * 100, CustomString="c" * 3000)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"CreateTime": "1448357837"}, "CreateTime must be an integer, got a string"),
        ({"CreateTime": 1.5}, "CreateTime must be an integer, got a number"),
        ({"CreateTime": True}, "CreateTime must be an integer, got a boolean"),
        ({"CreateTime": -1}, "CreateTime is -1, outside 0 to 4294967295"),
        ({"Type": "Public"}, "Type must be 'Community'"),
    ],
)
def test_bad_import_fields_are_10004(
    backend: TopicResponses, extra: dict[str, Any], field: str
) -> None:
    outcome = backend.import_topic({"GroupId": GROUP, "TopicName": "t", **extra})
    assert code_of(outcome.answer) == 10004
    assert field in outcome.answer["ErrorInfo"]


@pytest.mark.parametrize("command", ["create_topic", "import_topic", "get_topic"])
def test_group_errors(backend: TopicResponses, command: str) -> None:
    base = {"TopicName": "t", "From_Account": "u"}
    assert code_of(backend.handle(command, {**base, "GroupId": "@TGS#2ABCDEF"}).answer) == 10015
    assert code_of(backend.handle(command, {**base, "GroupId": "@TGS#_"}).answer) == 10015
    assert code_of(backend.handle(command, {**base, "GroupId": "@TGS#_unknown"}).answer) == 10010
    assert code_of(backend.handle(command, {**base, "GroupId": PLAIN_GROUP}).answer) == 11000


def test_group_errors_of_destroy_and_modify(backend: TopicResponses) -> None:
    for group_id, code in (("@TGS#2X", 10015), ("@TGS#_unknown", 10010), (PLAIN_GROUP, 11000)):
        body = {"GroupId": group_id, "TopicIdList": [group_id + "@TOPIC#_a"]}
        assert code_of(backend.destroy_topic(body).answer) == code
        body = {"GroupId": group_id, "TopicId": group_id + "@TOPIC#_a"}
        assert code_of(backend.modify_topic(body).answer) == code


def test_groups_are_separate(backend: TopicResponses) -> None:
    create(backend, TopicId=CUSTOM)
    assert backend.topics(OTHER_GROUP) == []
    answer = backend.get_topic({"GroupId": OTHER_GROUP, "From_Account": "u"}).answer
    assert answer["TopicAndSelfInfo"] == []


def test_add_group_checks_its_input(backend: TopicResponses) -> None:
    with pytest.raises(ValueError, match="community"):
        backend.add_group("@TGS#2ABC")
    with pytest.raises(ValueError, match="printable ASCII"):
        backend.add_group("@TGS#_" + "x" * 50)
    backend.add_group("@TGS#2ABC", topics=False)
    with pytest.raises(KeyError, match="not in the emulator"):
        backend.topics("@TGS#_nope")


# -- get_topic -------------------------------------------------------------------------------


def test_get_answers_like_the_page(backend: TopicResponses) -> None:
    topic_id = create(backend, TopicName="TestTopicName", FaceUrl="http://f", CustomString="c")
    answer = backend.get_topic({"GroupId": GROUP, "From_Account": "1400187352"}).answer
    assert answer == {
        "ActionStatus": "OK",
        "ErrorInfo": "ok",
        "ErrorCode": 0,
        "TopicAndSelfInfo": [
            {
                "ErrorCode": 0,
                "ErrorInfo": "ok",
                "SelfInfo": {"ShutUpTime": 0, "MsgSeq": 0, "MsgFlag": "AcceptAndNotify"},
                "TopicInfo": {
                    "TopicName": "TestTopicName",
                    "GroupID": GROUP,
                    "FaceUrl": "http://f",
                    "TopicId": topic_id,
                    "NextMsgSeq": 1,
                    "Notification": "",
                    "Introduction": "",
                    "CreateTime": NOW,
                    "LastMsgTime": 0,
                    "MuteAllMember": "Off",
                    "CustomString": "c",
                },
            }
        ],
    }
    assert list(answer["TopicAndSelfInfo"][0]["TopicInfo"]) == list(TOPIC_INFO_KEYS)


def test_get_lists_all_live_topics_when_the_list_is_absent_or_empty(
    backend: TopicResponses,
) -> None:
    ids = [create(backend, TopicName=f"n{i}") for i in range(3)]
    backend.destroy_topic({"GroupId": GROUP, "TopicIdList": [ids[1]]})
    extras: list[dict[str, Any]] = [{}, {"TopicIdList": []}]
    for extra in extras:
        answer = backend.get_topic({"GroupId": GROUP, "From_Account": "u", **extra}).answer
        assert [item["TopicInfo"]["TopicId"] for item in answer["TopicAndSelfInfo"]] == [
            ids[0],
            ids[2],
        ]


def test_get_gives_110003_items_for_deleted_and_unknown_topics(backend: TopicResponses) -> None:
    live, gone = create(backend), create(backend)
    backend.destroy_topic({"GroupId": GROUP, "TopicIdList": [gone]})
    unknown = GROUP + "@TOPIC#_never"
    body = {"GroupId": GROUP, "From_Account": "u", "TopicIdList": [gone, live, unknown]}
    items = backend.get_topic(body).answer["TopicAndSelfInfo"]
    assert [item["ErrorCode"] for item in items] == [110003, 0, 110003]
    assert items[0]["TopicInfo"] == {"TopicId": gone}
    assert items[2]["TopicInfo"] == {"TopicId": unknown}
    assert "SelfInfo" not in items[0]


def test_response_filter_limits_the_fields(backend: TopicResponses) -> None:
    topic_id = create(backend, FaceUrl="http://f", Notification="n", Introduction="i")
    body = {
        "GroupId": GROUP,
        "From_Account": "u",
        "TopicIdList": [topic_id],
        "ResponseFilter": ["TopicName", "FaceUrl", "Notification", "Introduction"],
    }
    info = backend.get_topic(body).answer["TopicAndSelfInfo"][0]["TopicInfo"]
    assert info == {
        "TopicName": "t",
        "GroupID": GROUP,
        "FaceUrl": "http://f",
        "TopicId": topic_id,
        "Notification": "n",
        "Introduction": "i",
    }
    body["ResponseFilter"] = ["MuteAllMember"]
    info = backend.get_topic(body).answer["TopicAndSelfInfo"][0]["TopicInfo"]
    assert info == {"GroupID": GROUP, "TopicId": topic_id, "MuteAllMember": "Off"}


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"From_Account": None}, "From_Account must be a string"),
        ({"From_Account": 1400187352}, "From_Account must be a string, got a number"),
        ({"TopicIdList": "x"}, "TopicIdList must be an array"),
        ({"TopicIdList": [1]}, "TopicIdList[0] must be a string"),
        ({"ResponseFilter": "TopicName"}, "ResponseFilter must be an array"),
        ({"ResponseFilter": ["GroupId"]}, "ResponseFilter names 'GroupId'"),
    ],
)
def test_bad_get_bodies_are_10004(
    backend: TopicResponses, extra: dict[str, Any], field: str
) -> None:
    outcome = backend.get_topic({"GroupId": GROUP, "From_Account": "u", **extra})
    assert code_of(outcome.answer) == 10004
    assert field in outcome.answer["ErrorInfo"]


def test_get_requires_from_account(backend: TopicResponses) -> None:
    answer = backend.get_topic({"GroupId": GROUP}).answer
    assert code_of(answer) == 10004 and "From_Account is required" in answer["ErrorInfo"]


# -- destroy_topic ---------------------------------------------------------------------------


def test_destroy_gives_one_result_per_topic(backend: TopicResponses) -> None:
    first, second = create(backend), create(backend)
    unknown = GROUP + "@TOPIC#_never"
    outcome = backend.destroy_topic({"GroupId": GROUP, "TopicIdList": [first, unknown, first]})
    assert outcome.answer["ErrorCode"] == 0
    assert [(r["TopicId"], r["ErrorCode"]) for r in outcome.answer["DestroyResultItem"]] == [
        (first, 0),
        (unknown, 110003),
        (first, 110003),
    ]
    assert outcome.event == TopicsDestroyed(group_id=GROUP, topic_ids=(first,))
    assert [t.topic_id for t in backend.topics(GROUP)] == [second]
    again = backend.destroy_topic({"GroupId": GROUP, "TopicIdList": [first]})
    assert again.answer["DestroyResultItem"][0]["ErrorCode"] == 110003
    assert again.event is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"GroupId": GROUP}, "TopicIdList is required"),
        ({"GroupId": GROUP, "TopicIdList": []}, "TopicIdList is empty"),
        ({"GroupId": GROUP, "TopicIdList": [None]}, "TopicIdList[0] must be a string"),
        ({"TopicIdList": ["a"]}, "GroupId is required"),
    ],
)
def test_bad_destroy_bodies_are_10004(
    backend: TopicResponses, body: dict[str, Any], field: str
) -> None:
    answer = backend.destroy_topic(body).answer
    assert code_of(answer) == 10004 and field in answer["ErrorInfo"]


# -- modify_topic ----------------------------------------------------------------------------


def test_modify_changes_only_the_given_fields(backend: TopicResponses) -> None:
    topic_id = create(backend, TopicName="old", Introduction="intro", CustomString="c")
    outcome = backend.modify_topic(
        {
            "GroupId": GROUP,
            "TopicId": topic_id,
            "From_Account": "editor",
            "TopicName": "new",
            "Introduction": "intro",  # unchanged: not reported
            "Notification": "notice",
            "MuteAllMember": "On",
            "CustomString": "c2",  # changed, but the webhook does not report it
        }
    )
    assert outcome.answer == {"ActionStatus": "OK", "ErrorInfo": "ok", "ErrorCode": 0}
    assert outcome.event == TopicInfoChanged(
        group_id=GROUP,
        topic_id=topic_id,
        operator_account="editor",
        changed={"Name": "new", "Notification": "notice"},
    )
    (topic,) = backend.topics(GROUP)
    assert (topic.topic_name, topic.introduction, topic.notification) == ("new", "intro", "notice")
    assert (topic.custom_string, topic.mute_all_member, topic.face_url) == ("c2", True, "")


def test_modify_of_other_fields_reports_no_event(backend: TopicResponses) -> None:
    topic_id = create(backend)
    outcome = backend.modify_topic(
        {"GroupId": GROUP, "TopicId": topic_id, "CustomString": "x", "MuteAllMember": "Off"}
    )
    assert outcome.error_code == 0 and outcome.event is None
    face = backend.modify_topic({"GroupId": GROUP, "TopicId": topic_id, "FaceUrl": "http://f"})
    assert isinstance(face.event, TopicInfoChanged)
    assert face.event.operator_account == "administrator"
    assert face.event.changed == {"FaceUrl": "http://f"}


def test_modify_of_a_deleted_or_unknown_topic_is_10010(backend: TopicResponses) -> None:
    topic_id = create(backend)
    backend.destroy_topic({"GroupId": GROUP, "TopicIdList": [topic_id]})
    for target in (topic_id, GROUP + "@TOPIC#_never"):
        answer = backend.modify_topic({"GroupId": GROUP, "TopicId": target, "TopicName": "x"})
        assert code_of(answer.answer) == 10010


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"MuteAllMember": "on"}, "MuteAllMember must be 'On' or 'Off'"),
        ({"MuteAllMember": True}, "MuteAllMember must be a string, got a boolean"),
        ({"TopicName": ""}, "TopicName is empty"),
        ({"TopicName": "x" * 31}, "TopicName is 31 bytes"),
        ({"Introduction": 3}, "Introduction must be a string"),
        ({"TopicId": None}, "TopicId must be a string"),
        ({"From_Account": 7}, "From_Account must be a string"),
    ],
)
def test_bad_modify_bodies_are_10004(
    backend: TopicResponses, extra: dict[str, Any], field: str
) -> None:
    topic_id = create(backend)
    answer = backend.modify_topic({"GroupId": GROUP, "TopicId": topic_id, **extra}).answer
    assert code_of(answer) == 10004 and field in answer["ErrorInfo"]
    assert backend.topics(GROUP)[0].topic_name == "t"


def test_modify_requires_the_topic_id(backend: TopicResponses) -> None:
    answer = backend.modify_topic({"GroupId": GROUP, "TopicName": "x"}).answer
    assert code_of(answer) == 10004 and "TopicId is required" in answer["ErrorInfo"]


def test_an_unknown_command_is_10003(backend: TopicResponses) -> None:
    assert code_of(backend.handle("delete_everything", {}).answer) == 10003


def test_typed_methods_raise_the_wire_code(state: TopicBackend) -> None:
    with pytest.raises(ServiceError) as caught:
        state.get_topic(group_id="@TGS#_unknown")
    assert caught.value.code == 10010
    topic_id = state.import_topic(group_id=GROUP, topic_name="t", topic_id=CUSTOM, create_time=5)
    with pytest.raises(ServiceError) as caught:
        state.import_topic(group_id=GROUP, topic_name="t", topic_id=CUSTOM)
    assert caught.value.code == 10021
    with pytest.raises(ServiceError) as caught:
        state.modify_topic(group_id=GROUP, topic_id=GROUP + "@TOPIC#_never", topic_name="x")
    assert caught.value.code == 10010
    assert state.get_topic(group_id=GROUP)[0][1] is not None
    assert state.topics(GROUP)[0].create_time == 5 and topic_id == CUSTOM


def test_typed_modify_reports_only_webhook_fields(state: TopicBackend) -> None:
    created = state.create_topic(group_id=GROUP, topic_name="old", operator_account="u1")
    assert created.operator_account == "u1" and created.owner_account == "u1"
    assert (
        state.modify_topic(group_id=GROUP, topic_id=created.topic_id, mute_all_member=True) is None
    )
    assert state.topics(GROUP)[0].mute_all_member is True
    event = state.modify_topic(group_id=GROUP, topic_id=created.topic_id, topic_name="new")
    assert event == TopicInfoChanged(
        group_id=GROUP,
        topic_id=created.topic_id,
        operator_account="administrator",
        changed={"Name": "new"},
    )


def test_typed_destroy_gives_a_result_per_id(state: TopicBackend) -> None:
    topic_id = state.import_topic(group_id=GROUP, topic_name="t")
    destroyed = state.destroy_topic(group_id=GROUP, topic_ids=[topic_id, topic_id])
    assert destroyed.results == ((topic_id, True), (topic_id, False))
    assert destroyed.event == TopicsDestroyed(group_id=GROUP, topic_ids=(topic_id,))
