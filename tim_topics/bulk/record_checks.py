"""Turning a :class:`~tim_topics.models.TopicRecord` into a checked create/import request.

The checks are those of ``TopicClient.create_topic`` / ``import_topic`` (one builder,
:mod:`tim_topics.request_builder`); ``labels`` lets the errors name fields as the input
spelled them (``TopicName`` for a JSON Lines file).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import attrs

from ..errors import ValidationError
from ..models import TopicRecord
from ..request_builder import TopicRequest as TopicRequest
from ..request_builder import creation_request
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
    (by its label) when the record breaks a rule. The client's own builder
    (:func:`tim_topics.request_builder.creation_request`), so bulk and single calls check
    the same rules."""
    return creation_request(record, WIRE_COMMANDS[command], labels=labels)
