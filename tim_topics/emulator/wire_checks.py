"""Reading a raw JSON request body the way the service does: required fields, JSON types,
UTF-8 byte limits, ID forms. Every refusal is a :class:`.ServiceError` whose text names the wire
field (``GroupId``, ``TopicName``, ...) and the limit.

These checks look at the wire only (raw dicts) and take their limits from :mod:`.spec`, the
emulator's own reading of the API pages, never from the client's validation: a client
sending the wrong thing is caught, even when the client's own rules are wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .errors import ServiceError
from .spec import (
    ASSIGNED_MARK,
    BYTE_LIMITS,
    COMMUNITY_PREFIX,
    INVALID_GROUP_ID,
    INVALID_PARAMETER,
    TOPIC_ID_MAX_BYTES,
    TOPIC_MARK,
    UINT32_MAX,
)

#: UTF-8 byte limits by wire name.
WIRE_BYTE_LIMITS: Final[Mapping[str, int]] = BYTE_LIMITS

#: The old name of :class:`~tim_topics.emulator.errors.ServiceError`.
WireError = ServiceError


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def invalid(info: str) -> ServiceError:
    return ServiceError(INVALID_PARAMETER, info)


class Body:
    """Typed access to the fields of one request body; unknown keys are ignored."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def string(self, key: str, *, required: bool = False, allow_empty: bool = True) -> str | None:
        """A string field, checked against its UTF-8 byte limit if it has one."""
        if key not in self._data:
            if required:
                raise invalid(f"{key} is required")
            return None
        value = self._data[key]
        if not isinstance(value, str):
            raise invalid(f"{key} must be a string, got {_json_type(value)}")
        if not value and not allow_empty:
            raise invalid(f"{key} is empty")
        limit = WIRE_BYTE_LIMITS.get(key)
        if limit is not None:
            try:
                size = len(value.encode("utf-8"))
            except UnicodeEncodeError as exc:
                raise invalid(
                    f"{key} is not valid UTF-8 text (character at position {exc.start})"
                ) from None
            if size > limit:
                raise invalid(f"{key} is {size} bytes, the limit is {limit} (UTF-8 bytes)")
        return value

    def uint32(self, key: str) -> int | None:
        """An optional integer field from 0 to 4294967295."""
        if key not in self._data:
            return None
        value = self._data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(f"{key} must be an integer, got {_json_type(value)}")
        if not 0 <= value <= UINT32_MAX:
            raise invalid(f"{key} is {value}, outside 0 to {UINT32_MAX}")
        return value

    def string_list(self, key: str, *, required: bool = False) -> list[str] | None:
        """An array of strings (required means present and non-empty)."""
        if key not in self._data:
            if required:
                raise invalid(f"{key} is required")
            return None
        value = self._data[key]
        if not isinstance(value, list):
            raise invalid(f"{key} must be an array of strings, got {_json_type(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise invalid(f"{key}[{index}] must be a string, got {_json_type(item)}")
        if required and not value:
            raise invalid(f"{key} is empty; it needs at least one item")
        return value

    def group_id(self) -> str:
        """``GroupId``: required, a string, of a community (``@TGS#_...``, else 10015)."""
        group_id = self.string("GroupId", required=True, allow_empty=False)
        assert group_id is not None
        if not group_id.startswith(COMMUNITY_PREFIX) or group_id == COMMUNITY_PREFIX:
            raise ServiceError(
                INVALID_GROUP_ID,
                f"GroupId {group_id!r} is not a community group ID (they start with "
                f"{COMMUNITY_PREFIX!r})",
            )
        return group_id

    def account(self, key: str = "From_Account", *, required: bool = False) -> str | None:
        """A user ID: a non-empty string (the pages' "uint64" is sent as a string)."""
        return self.string(key, required=required, allow_empty=False)


def check_custom_topic_id(topic_id: str, group_id: str) -> str:
    """A custom topic ID for create/import: ``group_id + "@TOPIC#_" + part``."""
    prefix = group_id + TOPIC_MARK
    if not topic_id.startswith(prefix):
        raise invalid(f"TopicId must start with the GroupId followed by '@TOPIC#_' ({prefix!r})")
    part = topic_id[len(prefix) :]
    if not part:
        raise invalid("TopicId has an empty custom part after '@TOPIC#_'")
    for position, char in enumerate(topic_id):
        if not " " <= char <= "~":
            raise invalid(
                f"TopicId must be printable ASCII (0x20-0x7e); "
                f"character {char!r} at position {position} is not"
            )
    if len(topic_id) > TOPIC_ID_MAX_BYTES:
        raise invalid(f"TopicId is {len(topic_id)} bytes, the limit is {TOPIC_ID_MAX_BYTES}")
    if COMMUNITY_PREFIX in part:
        raise invalid(f"the custom part of TopicId must not contain {COMMUNITY_PREFIX!r}")
    if part.startswith(ASSIGNED_MARK) or (TOPIC_MARK + ASSIGNED_MARK) in part:
        raise invalid(
            "the custom part of TopicId must not start with '@TOPIC#' "
            "(the form of IDs the service assigns)"
        )
    return topic_id
