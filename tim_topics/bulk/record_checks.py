"""Turning a :class:`~tim_topics.models.TopicRecord` into a checked create/import request.

The checks are those of ``TopicClient.create_topic`` / ``import_topic``; ``labels`` lets
the errors name fields as the input spelled them (``TopicName`` for a JSON Lines file).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import attrs

from ..errors import ValidationError
from ..messages import CreateTopicRequest, ImportTopicRequest
from ..models import TopicRecord
from ..validation import (
    check_account,
    check_create_time,
    check_group_id,
    check_text,
    check_topic_id,
)
from ..wire import wire_name

BulkCommand = Literal["import", "create"]
"""``import`` sends import_topic (no webhooks, keeps CreateTime); ``create`` create_topic."""

WIRE_COMMANDS: Final[Mapping[BulkCommand, Literal["import_topic", "create_topic"]]] = {
    "import": "import_topic",
    "create": "create_topic",
}

#: The record's fields as the wire (and input files) spell them: ``topic_name`` -> ``TopicName``.
WIRE_LABELS: Final[Mapping[str, str]] = {
    field.name: wire_name(TopicRecord, field.name) for field in attrs.fields(TopicRecord)
}

_TEXTS: Final = ("custom_string", "face_url", "notification", "introduction")

TopicRequest = CreateTopicRequest | ImportTopicRequest


def check_command(command: object) -> BulkCommand:
    """``import`` or ``create``, else a ValidationError."""
    if command == "import":
        return "import"
    if command == "create":
        return "create"
    raise ValidationError("command", f"command must be 'import' or 'create', not {command!r}")


def checked_request(
    record: TopicRecord, command: BulkCommand, *, labels: Mapping[str, str] | None = None
) -> TopicRequest:
    """The request that sends ``record`` with ``command``; ValidationError naming the field
    (by its label) when the record breaks a rule. Nothing is trimmed or dropped: a
    ``create_time`` given to ``create`` is an error, since create_topic cannot keep it."""
    names = labels or {}

    def label(field: str) -> str:
        return names.get(field, field)

    group_id = check_group_id(record.group_id, label("group_id"))
    topic_name = check_text(
        "topic_name", record.topic_name, required=True, label=label("topic_name")
    )
    topic_id = None
    if record.topic_id is not None:
        topic_id = check_topic_id(record.topic_id, group_id, custom=True, field=label("topic_id"))
    from_account = None
    if record.from_account is not None:
        from_account = check_account(record.from_account, label("from_account"))
    custom_string, face_url, notification, introduction = (
        None
        if (value := getattr(record, field)) is None
        else check_text(field, value, label=label(field))
        for field in _TEXTS
    )
    if command == "import":
        create_time = None
        if record.create_time is not None:
            create_time = check_create_time(record.create_time, label("create_time"))
        return ImportTopicRequest(
            group_id=group_id,
            topic_name=topic_name,
            topic_id=topic_id,
            create_time=create_time,
            from_account=from_account,
            custom_string=custom_string,
            face_url=face_url,
            notification=notification,
            introduction=introduction,
        )
    if record.create_time is not None:
        name = label("create_time")
        raise ValidationError(
            name,
            f"{name} is given, but create_topic cannot set a creation time: "
            "use the import command to keep it",
        )
    return CreateTopicRequest(
        group_id=group_id,
        topic_name=topic_name,
        topic_id=topic_id,
        from_account=from_account,
        custom_string=custom_string,
        face_url=face_url,
        notification=notification,
        introduction=introduction,
    )
