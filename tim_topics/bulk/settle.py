"""Settling a create/import without a topic ID whose answer was lost.

The request may or may not have made the topic, and sending it again could make a second
one. So, once the service's own 3 s time-out has passed (after it, a request the service got
is either done or dropped), the group's topics are read and the record is looked for.

A topic is the record's only when it is certainly so (a wrong claim reports a record
"imported" that was never made, and leaves the topic's real owner to be sent again):

- its ID is one the service assigns (a record without a custom ID cannot have made a
  custom-ID topic), and no other record already claims it (its ID is in the journal);
- its name equals the record's, and so does every text field the service returns
  (introduction, notification, face URL, custom string; an absent field equals an empty
  one): the record's create would have made them equal, so a topic that differs in any
  of them is someone else's;
- its creation time equals the record's ``create_time`` on an import that gives one, else
  is no earlier than when the record was noted in the journal, less ``clock_skew`` (the
  service's clock may differ from ours).

Several topics that fit (twins, made by identical records) are taken oldest first, each
by one record. None that fits means the record certainly made nothing: it may be sent
again. A topic that fits in everything that can be compared but whose creation time is
missing cannot be told apart, and a failed read decides nothing: both are
:class:`~tim_topics.errors.OutcomeUnknownError`, and the record stays unsettled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Final

from ..errors import OutcomeUnknownError, TimTopicsError
from ..models import Topic, TopicResult
from ..validation import TOPIC_MARK
from .record_checks import TopicRequest
from .service import TopicService

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
#: The record's fields a topic must equal, besides its name and creation time.
COMPARED_FIELDS: Final = ("introduction", "notification", "face_url", "custom_string")


class UncertainMatchError(Exception):
    """A topic fits the record in everything that could be compared, but not everything
    could be: the record cannot be settled from this answer."""


def assigned_by_service(topic_id: str, group_id: str) -> bool:
    """Whether ``topic_id`` has the form of an ID the service assigns
    (``group@TOPIC#_@TOPIC#...``), which no custom ID may have."""
    return topic_id.startswith(group_id + TOPIC_MARK + "@TOPIC#")


def differing_fields(topic: Topic, request: TopicRequest) -> list[str]:
    """The record's text fields ``topic`` differs in (absent and empty are equal)."""
    return [
        field
        for field in COMPARED_FIELDS
        if (getattr(topic, field) or "") != (getattr(request, field, None) or "")
    ]


def pick_topic(
    results: Iterable[TopicResult],
    request: TopicRequest,
    *,
    noted_at: float | None,
    is_claimed: Callable[[str], bool],
    clock_skew: float = DEFAULT_CLOCK_SKEW,
) -> str | None:
    """The ID of the topic ``request`` made, among a get_topic answer, or None when it
    certainly made none (see the module docstring). UncertainMatchError when a topic fits
    but its creation time is missing."""
    create_time: int | None = getattr(request, "create_time", None)
    earliest = None if noted_at is None else noted_at - clock_skew
    fitting: list[tuple[int, str]] = []
    uncertain: str | None = None
    for result in results:
        topic = result.topic
        if not result.ok or topic is None or topic.topic_id is None:
            continue
        if not assigned_by_service(topic.topic_id, request.group_id):
            continue
        if topic.topic_name != request.topic_name or differing_fields(topic, request):
            continue
        if is_claimed(topic.topic_id):
            continue
        if topic.create_time is None:
            if create_time is not None or earliest is not None:
                uncertain = topic.topic_id
            continue
        if create_time is not None and topic.create_time != create_time:
            continue
        if create_time is None and earliest is not None and topic.create_time < earliest:
            continue
        fitting.append((topic.create_time, topic.topic_id))
    if fitting:
        return min(fitting)[1]
    if uncertain is not None:
        raise UncertainMatchError(
            f"topic {uncertain} has the record's name and texts, but the answer gives no "
            "creation time to tell whether it is the record's"
        )
    return None


async def find_made_topic(
    client: TopicService,
    command: str,
    request: TopicRequest,
    *,
    noted_at: float | None,
    is_claimed: Callable[[str], bool],
    clock_skew: float = DEFAULT_CLOCK_SKEW,
    read_group: Callable[[TopicRequest], Awaitable[Iterable[TopicResult]]] | None = None,
) -> str | None:
    """Read the group's topics and return the ID of the topic ``request`` made, or None when
    it certainly made none. OutcomeUnknownError when the topics cannot be read.
    ``read_group`` reads them, from a read sent after this call began (a shared read, see
    :mod:`tim_topics.bulk.group_reads`), and may return only those with the request's name;
    by default, a ``get_topic`` of its own."""
    results: Iterable[TopicResult]
    try:
        if read_group is not None:
            results = await read_group(request)
        else:
            results = await client.get_topic(request.group_id, response_filter=SETTLE_FIELDS)
    except TimTopicsError as exc:
        raise OutcomeUnknownError(
            f"{command}: the outcome is unknown: the request for topic "
            f"{request.topic_name!r} was sent but no answer came, and reading the group's "
            f"topics to find out failed ({exc})",
            command=command,
        ) from exc
    try:
        return pick_topic(
            results, request, noted_at=noted_at, is_claimed=is_claimed, clock_skew=clock_skew
        )
    except UncertainMatchError as exc:
        raise OutcomeUnknownError(
            f"{command}: the outcome is unknown: the request for topic "
            f"{request.topic_name!r} was sent but no answer came, and {exc}",
            command=command,
        ) from None
