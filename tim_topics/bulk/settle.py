"""Settling a create/import without a topic ID whose answer was lost.

The request may or may not have made the topic, and sending it again could make a second
one. So, once the service's own 3 s time-out has passed (after it, a request the service got
is either done or dropped), the group's topics are read and the record is looked for:

- a candidate is a topic with a service-assigned ID (a record without a custom ID cannot
  have made a custom-ID topic), the record's name, and its creation time: equal to the
  record's ``create_time`` on an import that gives one, else no earlier than when the
  record was noted in the journal, less ``clock_skew`` (the service's clock may differ);
- a candidate some other record already claims (its ID is in the journal) is skipped, so
  two records with the same name and time each get their own topic;
- among the rest, the one that agrees with the record on the most other fields
  (introduction, notification, face URL, custom string) wins, then the oldest.

A match means the record was imported. No match means it certainly was not: it may be sent
again. A failed read decides nothing: :class:`~tim_topics.errors.OutcomeUnknownError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

from ..client import TopicClient
from ..errors import OutcomeUnknownError, TimTopicsError
from ..models import Topic, TopicResult
from ..validation import TOPIC_MARK
from .record_checks import TopicRequest

#: Seconds the service's clock may be behind ours when it stamps a topic's CreateTime.
DEFAULT_CLOCK_SKEW: Final = 600.0

#: The topic fields read to settle a record.
SETTLE_FIELDS: Final = (
    "topic_name",
    "create_time",
    "introduction",
    "notification",
    "face_url",
    "custom_string",
)
_TIEBREAK_FIELDS: Final = ("introduction", "notification", "face_url", "custom_string")


def assigned_by_service(topic_id: str, group_id: str) -> bool:
    """Whether ``topic_id`` has the form of an ID the service assigns
    (``group@TOPIC#_@TOPIC#...``), which no custom ID may have."""
    return topic_id.startswith(group_id + TOPIC_MARK + "@TOPIC#")


def _agreement(topic: Topic, request: TopicRequest) -> int:
    return sum(
        (getattr(topic, field) or "") == (getattr(request, field) or "")
        for field in _TIEBREAK_FIELDS
    )


def pick_topic(
    results: Iterable[TopicResult],
    request: TopicRequest,
    *,
    noted_at: float | None,
    is_claimed: Callable[[str], bool],
    clock_skew: float = DEFAULT_CLOCK_SKEW,
) -> str | None:
    """The ID of the topic ``request`` made, among a get_topic answer, or None when none
    of them can be its (see the module docstring)."""
    create_time: int | None = getattr(request, "create_time", None)
    earliest = None if noted_at is None else noted_at - clock_skew
    best: tuple[int, str] | None = None
    for result in results:
        topic = result.topic
        if not result.ok or topic is None or topic.topic_id is None:
            continue
        if not assigned_by_service(topic.topic_id, request.group_id):
            continue
        if topic.topic_name != request.topic_name:
            continue
        if create_time is not None:
            if topic.create_time != create_time:
                continue
        elif earliest is not None and topic.create_time is not None:
            if topic.create_time < earliest:
                continue
        if is_claimed(topic.topic_id):
            continue
        score = _agreement(topic, request)
        if best is None or score > best[0]:
            best = (score, topic.topic_id)
    return None if best is None else best[1]


async def find_made_topic(
    client: TopicClient,
    command: str,
    request: TopicRequest,
    *,
    noted_at: float | None,
    is_claimed: Callable[[str], bool],
    clock_skew: float = DEFAULT_CLOCK_SKEW,
) -> str | None:
    """Read the group's topics and return the ID of the topic ``request`` made, or None when
    it certainly made none. OutcomeUnknownError when the topics cannot be read."""
    try:
        results = await client.get_topic(request.group_id, response_filter=SETTLE_FIELDS)
    except TimTopicsError as exc:
        raise OutcomeUnknownError(
            f"{command}: the outcome is unknown: the request for topic "
            f"{request.topic_name!r} was sent but no answer came, and reading the group's "
            f"topics to find out failed ({exc})",
            command=command,
        ) from exc
    return pick_topic(
        results, request, noted_at=noted_at, is_claimed=is_claimed, clock_skew=clock_skew
    )
