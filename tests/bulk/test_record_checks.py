"""Records become checked requests; errors name fields as the input spelled them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from support.constants import GROUP

from tim_topics import TopicRecord, ValidationError
from tim_topics.bulk.record_checks import WIRE_LABELS, check_command, checked_request
from tim_topics.messages import CreateTopicRequest, ImportTopicRequest


def test_import_keeps_the_creation_time_in_seconds() -> None:
    when = datetime(2015, 11, 24, 9, 37, 17, tzinfo=timezone.utc)
    request = checked_request(
        TopicRecord(group_id=GROUP, topic_name="a", create_time=when), "import"
    )
    assert isinstance(request, ImportTopicRequest)
    assert request.create_time == int(when.timestamp())


def test_create_builds_a_create_request() -> None:
    request = checked_request(
        TopicRecord(group_id=GROUP, topic_name="a", topic_id=f"{GROUP}@TOPIC#_a"), "create"
    )
    assert type(request) is CreateTopicRequest  # not its ImportTopicRequest subclass


@pytest.mark.parametrize(
    ("record", "labels", "field", "message"),
    [
        (
            TopicRecord(group_id=GROUP, topic_name="y" * 31),
            None,
            "topic_name",
            "topic_name is 31 bytes",
        ),
        (
            TopicRecord(group_id=GROUP, topic_name="y" * 31),
            WIRE_LABELS,
            "TopicName",
            "TopicName is 31 bytes",
        ),
        (
            TopicRecord(group_id=GROUP, topic_name="a", introduction="i" * 241),
            WIRE_LABELS,
            "Introduction",
            "the limit is 240",
        ),
        (
            TopicRecord(group_id=GROUP, topic_name="a", topic_id="elsewhere"),
            WIRE_LABELS,
            "TopicId",
            "must start with the group ID",
        ),
        (
            TopicRecord(group_id="x", topic_name="a"),
            WIRE_LABELS,
            "GroupId",
            "not a community group ID",
        ),
        (
            TopicRecord(group_id=GROUP, topic_name="a", from_account=""),
            WIRE_LABELS,
            "From_Account",
            "is empty",
        ),
        (
            TopicRecord(group_id=GROUP, topic_name="a", create_time=-1),
            WIRE_LABELS,
            "CreateTime",
            "outside 0 to",
        ),
    ],
)
def test_errors_name_the_field_by_its_label(
    record: TopicRecord, labels: dict[str, str] | None, field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        checked_request(record, "import", labels=labels)
    assert caught.value.field == field
    assert message in str(caught.value)


def test_commands_are_import_or_create() -> None:
    assert check_command("create") == "create"
    with pytest.raises(ValidationError, match="'import' or 'create'"):
        check_command("import_topic")
