"""Checked requests of the five commands: the one place that turns what a caller gives into
the record that is sent.

The client's five methods and the bulk importer both build their requests here, so a rule
is written once. Nothing is trimmed, dropped or changed: a value that breaks a rule is a
:class:`~tim_topics.errors.ValidationError` naming the field (by ``labels``, e.g. the
input file's ``TopicName``) and the limit, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Final, Literal, TypeVar

import attrs

from .errors import ValidationError
from .messages import (
    CreateTopicRequest,
    DestroyTopicRequest,
    GetTopicRequest,
    ImportTopicRequest,
    ModifyTopicRequest,
)
from .models import Topic, TopicRecord
from .validation import (
    check_account,
    check_bool,
    check_create_time,
    check_group_id,
    check_text,
    check_topic_id,
    check_topic_ids,
)
from .wire import wire_name

CreationCommand = Literal["create_topic", "import_topic"]
TopicRequest = CreateTopicRequest | ImportTopicRequest

#: Topic fields a get_topic ``response_filter`` may name.
FILTERABLE_FIELDS: Final = tuple(
    field.name for field in attrs.fields(Topic) if field.name not in ("group_id", "topic_id")
)
#: What modify_topic can change (one of them must be given).
MODIFIABLE: Final = (
    "topic_name",
    "face_url",
    "notification",
    "introduction",
    "custom_string",
    "mute_all_member",
)
_TEXTS: Final = ("custom_string", "face_url", "notification", "introduction")

V = TypeVar("V")
R = TypeVar("R")


def _opt(value: V | None, check: Callable[[V], R]) -> R | None:
    return None if value is None else check(value)


def _text_check(field: str, label: str) -> Callable[[str], str]:
    return lambda value: check_text(field, value, label=label)


def creation_request(
    record: TopicRecord, command: CreationCommand, *, labels: Mapping[str, str] | None = None
) -> TopicRequest:
    """The create_topic or import_topic request that sends ``record``. A ``create_time``
    given to create_topic is an error, since the service cannot keep it there."""
    names = labels or {}

    def label(field: str) -> str:
        return names.get(field, field)

    group_id = check_group_id(record.group_id, label("group_id"))
    topic_name = check_text(
        "topic_name", record.topic_name, required=True, label=label("topic_name")
    )
    topic_id = _opt(
        record.topic_id,
        lambda v: check_topic_id(v, group_id, custom=True, field=label("topic_id")),
    )
    from_account = _opt(record.from_account, lambda v: check_account(v, label("from_account")))
    texts = {
        field: _opt(getattr(record, field), _text_check(field, label(field))) for field in _TEXTS
    }
    if command == "import_topic":
        create_time = _opt(record.create_time, lambda v: check_create_time(v, label("create_time")))
        return ImportTopicRequest(
            group_id=group_id,
            topic_name=topic_name,
            topic_id=topic_id,
            create_time=create_time,
            from_account=from_account,
            custom_string=texts["custom_string"],
            face_url=texts["face_url"],
            notification=texts["notification"],
            introduction=texts["introduction"],
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
        custom_string=texts["custom_string"],
        face_url=texts["face_url"],
        notification=texts["notification"],
        introduction=texts["introduction"],
    )


def get_request(
    group_id: str,
    from_account: str,
    topic_ids: Sequence[str] | None,
    response_filter: Sequence[str] | None,
) -> GetTopicRequest:
    """A get_topic request; an empty ``topic_ids`` list is sent as given (all topics)."""
    check_group_id(group_id)
    return GetTopicRequest(
        group_id=group_id,
        from_account=check_account(from_account),
        topic_id_list=_opt(topic_ids, lambda v: check_topic_ids(v, group_id, allow_empty=True)),
        response_filter=_opt(response_filter, _wire_filter),
    )


def modify_request(
    group_id: str,
    topic_id: str,
    *,
    topic_name: str | None = None,
    from_account: str | None = None,
    face_url: str | None = None,
    notification: str | None = None,
    introduction: str | None = None,
    custom_string: str | None = None,
    mute_all_member: bool | None = None,
) -> ModifyTopicRequest:
    """A modify_topic request with only the fields given; at least one must change."""
    request = ModifyTopicRequest(
        group_id=check_group_id(group_id),
        topic_id=check_topic_id(topic_id, group_id, custom=False),
        topic_name=_opt(topic_name, lambda v: check_text("topic_name", v, required=True)),
        from_account=_opt(from_account, check_account),
        face_url=_opt(face_url, lambda v: check_text("face_url", v)),
        notification=_opt(notification, lambda v: check_text("notification", v)),
        introduction=_opt(introduction, lambda v: check_text("introduction", v)),
        custom_string=_opt(custom_string, lambda v: check_text("custom_string", v)),
        mute_all_member=_opt(mute_all_member, lambda v: check_bool(v, "mute_all_member")),
    )
    if all(getattr(request, field) is None for field in MODIFIABLE):
        raise ValidationError(
            "modify_topic", f"nothing to modify: give at least one of {', '.join(MODIFIABLE)}"
        )
    return request


def destroy_request(group_id: str, topic_ids: Sequence[str]) -> DestroyTopicRequest:
    """A destroy_topic request."""
    return DestroyTopicRequest(
        group_id=check_group_id(group_id),
        topic_id_list=check_topic_ids(topic_ids, group_id),
    )


def creation_record(
    group_id: str,
    topic_name: str,
    topic_id: str | None,
    create_time: int | datetime | None,
    from_account: str | None,
    custom_string: str | None,
    face_url: str | None,
    notification: str | None,
    introduction: str | None,
) -> TopicRecord:
    """The arguments of create_topic / import_topic as a record (checked when built into a
    request, like a record of a bulk import)."""
    return TopicRecord(
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


def _wire_filter(names: Sequence[str]) -> list[str]:
    if isinstance(names, (str, bytes)):
        raise ValidationError(
            "response_filter", "response_filter must be a list of Topic field names, not a str"
        )
    wire = []
    for name in names:
        if name not in FILTERABLE_FIELDS:
            raise ValidationError(
                "response_filter",
                f"response_filter: {name!r} is not a Topic field; "
                f"choose from {', '.join(FILTERABLE_FIELDS)}",
            )
        wire.append(wire_name(Topic, name))
    return wire
