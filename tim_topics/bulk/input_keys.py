"""Records from the request body's keys, and the wording of a bad line's reason.

Both readers turn a line into key/value pairs and hand them to :func:`record_from_keys`,
which checks them with the client's own rules and words every error with the file's key
names (``TopicName is 31 bytes, the limit is 30``), never quoting a huge value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..errors import ValidationError
from ..models import SourcedTopicRecord, TopicRecord, check_source_topic_id
from ..validation import GROUP_ID_MAX_BYTES, TOPIC_ID_MAX_BYTES
from .record_checks import WIRE_LABELS, BulkCommand, checked_request

#: The key of a record's topic ID in the app it was exported from (never sent).
SOURCE_ID_KEY: Final = "SourceTopicId"
#: Input keys (the request body's, and ``SourceTopicId``) -> record fields.
INPUT_KEYS: Final[Mapping[str, str]] = {
    **{wire: field for field, wire in WIRE_LABELS.items()},
    SOURCE_ID_KEY: "source_topic_id",
}
#: import_topic's ``Type``: accepted when it is the only value the service allows.
TYPE_KEY: Final = "Type"
COMMUNITY: Final = "Community"
KNOWN_KEYS: Final = ", ".join([*INPUT_KEYS, TYPE_KEY])

#: String keys too long for a quoted error message: their size is checked first.
_ID_LIMITS: Final[Mapping[str, int]] = {
    "GroupId": GROUP_ID_MAX_BYTES,
    "TopicId": TOPIC_ID_MAX_BYTES,
    SOURCE_ID_KEY: TOPIC_ID_MAX_BYTES,
}


def shown(text: str, limit: int = 60) -> str:
    """``repr(text)``, cut short: a message must not repeat a huge value."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    return "a string" if isinstance(value, str) else type(value).__name__


def record_from_keys(
    values: Mapping[str, Any], *, command: BulkCommand, group_id: str | None
) -> TopicRecord:
    """A checked record from the request body's keys; ValidationError naming the key."""
    fields: dict[str, Any] = {}
    for key, value in values.items():
        if key == TYPE_KEY:
            if value != COMMUNITY:
                given = shown(value) if isinstance(value, str) else json_kind(value)
                raise ValidationError(
                    TYPE_KEY,
                    f"Type must be {COMMUNITY!r} (the only type with topics), not {given}",
                )
            continue
        field = INPUT_KEYS.get(key)
        if field is None:
            raise ValidationError(key[:60], f"unknown key {shown(key)}; the keys are: {KNOWN_KEYS}")
        if field == "create_time" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValidationError(
                key, f"{key} must be an integer (Unix seconds), not {type(value).__name__}"
            )
        if field != "create_time" and value is not None and not isinstance(value, str):
            raise ValidationError(key, f"{key} must be a string, not {json_kind(value)}")
        limit = _ID_LIMITS.get(key)
        if isinstance(value, str) and limit is not None:
            size = len(value.encode("utf-8", "surrogatepass"))
            if size > limit:
                raise ValidationError(key, f"{key} is {size} bytes, the limit is {limit}")
        fields[field] = value
    if "group_id" not in fields:
        if group_id is None:
            raise ValidationError("GroupId", "GroupId is missing (give it here or with --group-id)")
        fields["group_id"] = group_id
    if "topic_name" not in fields:
        raise ValidationError("TopicName", "TopicName is missing")
    source_id = fields.pop("source_topic_id", None)
    record = TopicRecord(**fields)
    checked_request(record, command, labels=WIRE_LABELS)
    if source_id is None:
        return record
    return SourcedTopicRecord(
        **fields, source_topic_id=check_source_topic_id(source_id, SOURCE_ID_KEY)
    )


def decoded(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        column = len(raw[: exc.start].decode("utf-8")) + 1
        raise ValidationError(
            "line", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {column})"
        ) from None
