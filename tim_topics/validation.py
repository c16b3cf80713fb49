"""Input checks done before any request is sent.

Every check raises :class:`~tim_topics.errors.ValidationError` naming the field, its size
and the limit. Nothing is trimmed, coerced or dropped: what the user gave is sent as is,
or refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Final

from .errors import ValidationError

#: UTF-8 byte limits of the topic text fields (snake_case name -> bytes).
BYTE_LIMITS: Final[Mapping[str, int]] = {
    "topic_name": 30,
    "introduction": 240,
    "notification": 300,
    "face_url": 100,
    "custom_string": 3000,
}

COMMUNITY_PREFIX: Final = "@TGS#_"
TOPIC_MARK: Final = "@TOPIC#_"
GROUP_ID_MAX_BYTES: Final = 47  # "shorter than 48 bytes"
TOPIC_ID_MAX_BYTES: Final = 96
UINT32_MAX: Final = 4294967295


def _utf8(field: str, value: object) -> bytes:
    if not isinstance(value, str):
        raise ValidationError(field, f"{field} must be a str, not {type(value).__name__}")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(
            field, f"{field} is not valid UTF-8 text (character at position {exc.start})"
        ) from None


def check_text(
    field: str, value: object, *, required: bool = False, label: str | None = None
) -> str:
    """A text field within its UTF-8 byte limit (and non-empty when ``required``).

    ``field`` is the snake_case name that selects the limit; ``label`` (default: ``field``)
    is the name the error uses, e.g. ``TopicName`` for input written with the wire's keys.
    """
    name = field if label is None else label
    data = _utf8(name, value)
    assert isinstance(value, str)
    if required and not value:
        raise ValidationError(
            name, f"{name} is empty; it must have 1 to {BYTE_LIMITS[field]} bytes"
        )
    limit = BYTE_LIMITS.get(field)
    if limit is not None and len(data) > limit:
        raise ValidationError(
            name, f"{name} is {len(data)} bytes, the limit is {limit} (UTF-8 bytes)"
        )
    return value


def _printable_ascii(field: str, value: str) -> None:
    if value.isascii() and value.isprintable():
        return  # 0x20-0x7e only: the usual case, checked in C
    for position, char in enumerate(value):
        if not " " <= char <= "~":
            raise ValidationError(
                field,
                f"{field} must be printable ASCII (0x20-0x7e); "
                f"character {char!r} at position {position} is not",
            )


def check_group_id(value: object, field: str = "group_id") -> str:
    """A community group ID: starts with ``@TGS#_``, printable ASCII, under 48 bytes."""
    data = _utf8(field, value)
    assert isinstance(value, str)
    if not value:
        raise ValidationError(field, f"{field} is empty")
    _printable_ascii(field, value)
    if not value.startswith(COMMUNITY_PREFIX) or len(value) == len(COMMUNITY_PREFIX):
        raise ValidationError(
            field, f"{field} {value!r} is not a community group ID (they start with '@TGS#_')"
        )
    if len(data) > GROUP_ID_MAX_BYTES:
        raise ValidationError(
            field, f"{field} is {len(data)} bytes, the limit is {GROUP_ID_MAX_BYTES}"
        )
    return value


def check_topic_id(value: object, group_id: str, *, custom: bool, field: str = "topic_id") -> str:
    """A topic ID of ``group_id``: ``group_id + "@TOPIC#_" + part``, at most 96 bytes.

    ``custom`` is True for an ID the caller asks the service to use (create, import):
    its part must not contain ``@TGS#_`` or ``@TOPIC#_@TOPIC#`` (reserved for IDs the
    service assigns, like ``...@TOPIC#_@TOPIC#cRTE3HIM62C5``).
    """
    data = _utf8(field, value)
    assert isinstance(value, str)
    prefix = group_id + TOPIC_MARK
    if not value.startswith(prefix):
        raise ValidationError(
            field,
            f"{field} {value!r} must start with the group ID followed by '@TOPIC#_' ({prefix!r})",
        )
    part = value[len(prefix) :]
    if not part:
        raise ValidationError(field, f"{field} {value!r} has an empty part after '@TOPIC#_'")
    _printable_ascii(field, value)
    if len(data) > TOPIC_ID_MAX_BYTES:
        raise ValidationError(
            field, f"{field} is {len(data)} bytes, the limit is {TOPIC_ID_MAX_BYTES}"
        )
    if custom:
        if COMMUNITY_PREFIX in part:
            raise ValidationError(field, f"the custom part of {field} must not contain '@TGS#_'")
        if "@TOPIC#_@TOPIC#" in TOPIC_MARK + part:
            raise ValidationError(
                field,
                f"the custom part of {field} must not start with or contain '@TOPIC#' after "
                "'@TOPIC#_' (the form of IDs the service assigns)",
            )
    return value


def check_topic_ids(
    values: object, group_id: str, *, field: str = "topic_ids", allow_empty: bool = False
) -> list[str]:
    """A list of existing topic IDs of ``group_id``."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValidationError(
            field, f"{field} must be a list of topic IDs, not {type(values).__name__}"
        )
    ids = list(values)
    if not ids and not allow_empty:
        raise ValidationError(field, f"{field} is empty; give at least one topic ID")
    for index, topic_id in enumerate(ids):
        check_topic_id(topic_id, group_id, custom=False, field=f"{field}[{index}]")
    return ids


def check_account(value: object, field: str = "from_account") -> str:
    """A user ID (``From_Account``): a non-empty string."""
    _utf8(field, value)
    assert isinstance(value, str)
    if not value:
        raise ValidationError(field, f"{field} is empty")
    return value


def check_create_time(value: object, field: str = "create_time") -> int:
    """Unix seconds (0 to 4294967295) from an int or an aware, whole-second datetime."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(
                field,
                f"{field} is a naive datetime; give an aware one (with tzinfo) or Unix seconds",
            )
        if value.microsecond:
            raise ValidationError(
                field,
                f"{field} has a fraction of a second ({value.microsecond} us); the service keeps "
                "whole seconds: pass value.replace(microsecond=0)",
            )
        seconds = int(value.timestamp())
    elif isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    else:
        raise ValidationError(
            field,
            f"{field} must be an int (Unix seconds) or an aware datetime, not {type(value).__name__}",
        )
    if not 0 <= seconds <= UINT32_MAX:
        raise ValidationError(field, f"{field} is {seconds}, outside 0 to {UINT32_MAX}")
    return seconds


def check_bool(value: object, field: str) -> bool:
    """A real bool (not 1/0, not "On")."""
    if not isinstance(value, bool):
        raise ValidationError(field, f"{field} must be a bool, not {type(value).__name__}")
    return value


def check_count(field: str, value: object) -> int:
    """A whole number from 1 (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(field, f"{field} is {value!r}, it must be a whole number from 1")
    return value
