"""The records users see: topics, per-topic results and the input of a bulk import.

Records are frozen attrs classes with snake_case fields. They know nothing of the wire's
JSON names: :mod:`tim_topics.wire` converts them.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from .errors import ValidationError
from .validation import COMMUNITY_PREFIX, TOPIC_ID_MAX_BYTES, TOPIC_MARK


@attrs.frozen(kw_only=True)
class Topic:
    """A topic as the service describes it. Fields an answer left out (a response
    filter) are None."""

    group_id: str | None = None
    """The community group the topic belongs to (``GroupID`` in answers)."""
    topic_id: str | None = None
    """The topic's ID: ``group_id + "@TOPIC#_" + custom part``."""
    topic_name: str | None = None
    """The topic's name, at most 30 UTF-8 bytes."""
    face_url: str | None = None
    """URL of the topic's profile photo, at most 100 bytes."""
    notification: str | None = None
    """The topic's notice, at most 300 UTF-8 bytes."""
    introduction: str | None = None
    """The topic's introduction, at most 240 UTF-8 bytes."""
    custom_string: str | None = None
    """A custom string, at most 3000 UTF-8 bytes."""
    create_time: int | None = None
    """Creation time, Unix seconds."""
    last_msg_time: int | None = None
    """Time of the last message in the topic, Unix seconds (0 for none)."""
    next_msg_seq: int | None = None
    """Sequence number the next message will get."""
    mute_all_member: bool | None = None
    """Whether all members are muted (``MuteAllMember`` "On"/"Off" on the wire)."""


@attrs.frozen(kw_only=True)
class SelfInfo:
    """What the service knows of the ``from_account`` user in a topic."""

    shut_up_time: int | None = None
    """The user's muting period, seconds."""
    msg_seq: int | None = None
    """Sequence number of the user's last read message."""
    msg_flag: str | None = None
    """Message receiving option, e.g. ``AcceptAndNotify``."""


@attrs.frozen(kw_only=True)
class TopicResult:
    """One item of a get_topic answer: the topic, or the error for that topic."""

    error_code: int = 0
    """0 for success; e.g. 110003 when the topic was deleted."""
    error_info: str = ""
    """The service's text for ``error_code``."""
    topic: Topic | None = None
    """The topic, or None when the item carries none."""
    self_info: SelfInfo | None = None
    """The requesting user's info in the topic, or None."""

    @property
    def ok(self) -> bool:
        """True when this topic's own ``error_code`` is 0."""
        return self.error_code == 0


@attrs.frozen(kw_only=True)
class DestroyResult:
    """One item of a destroy_topic answer."""

    topic_id: str
    """The topic this result is about."""
    error_code: int = 0
    """0 for success; 110003 when it was already deleted, 110002 when deletion failed."""
    error_info: str = ""
    """The service's text for ``error_code``."""

    @property
    def ok(self) -> bool:
        """True when this topic was deleted by the call."""
        return self.error_code == 0


@attrs.frozen(kw_only=True)
class TopicRecord:
    """One topic to create or import in bulk (see ``TopicClient.import_topics``)."""

    group_id: str
    """The community group to put the topic in."""
    topic_name: str
    """The topic's name, at most 30 UTF-8 bytes."""
    topic_id: str | None = None
    """A custom topic ID (``group_id + "@TOPIC#_" + part``), or None to let the service
    assign one."""
    create_time: int | datetime | None = None
    """Creation time (import only): Unix seconds or an aware datetime."""
    from_account: str | None = None
    """The member who creates the topic."""
    custom_string: str | None = None
    """A custom string, at most 3000 UTF-8 bytes."""
    face_url: str | None = None
    """URL of the topic's profile photo, at most 100 bytes."""
    notification: str | None = None
    """The topic's notice, at most 300 UTF-8 bytes."""
    introduction: str | None = None
    """The topic's introduction, at most 240 UTF-8 bytes."""


def check_source_topic_id(value: object, field: str = "source_topic_id") -> str:
    """A topic ID of another app: ``@TGS#_...@TOPIC#_...``, printable ASCII, at most 96
    bytes (it goes on a line of the ID map, so it cannot hold a tab or a line break)."""
    if not isinstance(value, str):
        raise ValidationError(field, f"{field} must be a str, not {type(value).__name__}")
    if not all(" " <= char <= "~" for char in value):
        raise ValidationError(field, f"{field} must be printable ASCII (0x20-0x7e)")
    if len(value) > TOPIC_ID_MAX_BYTES:
        raise ValidationError(
            field, f"{field} is {len(value)} bytes, the limit is {TOPIC_ID_MAX_BYTES}"
        )
    if not value.startswith(COMMUNITY_PREFIX) or TOPIC_MARK not in value:
        raise ValidationError(
            field,
            f"{field} {value!r} is not a topic ID (GroupId + '@TOPIC#_' + part, the group "
            "ID starting with '@TGS#_')",
        )
    return value


def _check_source_topic_id(_: object, __: attrs.Attribute[str], value: str) -> None:
    check_source_topic_id(value)


@attrs.frozen(kw_only=True)
class SourcedTopicRecord(TopicRecord):
    """A :class:`TopicRecord` exported from another app (``tim-topics export``): it also
    carries the topic's ID there, which is never sent. An import reports the topic's new ID
    for it, so an ID map (``source ID -> new ID``) can re-point what referred to it."""

    source_topic_id: str = attrs.field(validator=_check_source_topic_id)
    """The topic's ID in the app it was exported from (``SourceTopicId`` in files)."""
