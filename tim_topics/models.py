"""The records users see: topics, per-topic results and the input of a bulk import.

Records are frozen attrs classes with snake_case fields. They know nothing of the wire's
JSON names: :mod:`tim_topics.wire` converts them.
"""

from __future__ import annotations

from datetime import datetime

import attrs


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
