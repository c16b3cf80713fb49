"""Telling "already there" from "someone else's": a record whose custom topic ID is in use.

The service answers 10021/10025 whether the ID holds the record's own topic (made by an
earlier attempt or run whose answer was lost, or an identical record) or a different
topic that happens to use the ID. Only the first is ``exists``; the second is a conflict,
and calling it success would lose the record. So the topic is read and compared with the
record in every field the record gives.
"""

from __future__ import annotations

from typing import Final

from ..errors import OutcomeUnknownError, TimTopicsError
from ..models import Topic
from .record_checks import WIRE_LABELS, TopicRequest
from .service import TopicService
from .settle import SETTLE_FIELDS, differing_fields

#: Characters of a differing value quoted in a conflict's message.
QUOTED: Final = 40


class TopicIdConflictError(TimTopicsError):
    """The record's custom topic ID is in use by a topic that differs from it."""

    def __init__(self, message: str, *, topic_id: str, fields: list[str]) -> None:
        super().__init__(message)
        self.topic_id = topic_id
        self.fields = fields
        """The differing fields, as the input spells them (``TopicName``...)."""


def _quote(value: object) -> str:
    text = "" if value is None else str(value)
    return repr(text if len(text) <= QUOTED else text[:QUOTED] + "...")


def conflicting_fields(topic: Topic, request: TopicRequest) -> list[tuple[str, object, object]]:
    """(field, the topic's value, the record's value) for each field the record gives that
    the topic differs in."""
    found: list[tuple[str, object, object]] = []
    if topic.topic_name != request.topic_name:
        found.append(("topic_name", topic.topic_name, request.topic_name))
    create_time = getattr(request, "create_time", None)
    if create_time is not None and topic.create_time not in (None, create_time):
        found.append(("create_time", topic.create_time, create_time))
    for field in differing_fields(topic, request):
        found.append((field, getattr(topic, field), getattr(request, field, None)))
    return found


async def check_in_use(client: TopicService, command: str, request: TopicRequest) -> None:
    """Return when the topic holding ``request``'s custom ID equals the record;
    TopicIdConflictError naming the fields when it differs; OutcomeUnknownError when it
    cannot be read."""
    topic_id = request.topic_id
    assert topic_id is not None
    try:
        results = await client.get_topic(
            request.group_id, topic_ids=[topic_id], response_filter=SETTLE_FIELDS
        )
    except TimTopicsError as exc:
        raise OutcomeUnknownError(
            f"{command}: topic ID {topic_id} is in use, and reading it to compare it with the "
            f"record failed ({exc}); running again checks it again",
            command=command,
        ) from exc
    topic = next(
        (r.topic for r in results if r.ok and r.topic is not None and r.topic.topic_id == topic_id),
        None,
    )
    if topic is None:
        raise OutcomeUnknownError(
            f"{command}: topic ID {topic_id} was said to be in use, but reading it found no "
            "such topic; running again sends it again",
            command=command,
        )
    found = conflicting_fields(topic, request)
    if found:
        labels = [WIRE_LABELS.get(field, field) for field, _, _ in found]
        details = ", ".join(
            f"{WIRE_LABELS.get(field, field)} ({_quote(theirs)} there, {_quote(ours)} here)"
            for field, theirs, ours in found
        )
        raise TopicIdConflictError(
            f"TopicId {topic_id} is already in use by a different topic: it differs in "
            f"{details}. Give this record another TopicId (or none)",
            topic_id=topic_id,
            fields=labels,
        )
