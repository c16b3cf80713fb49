"""Export: every topic of some groups, as records in the import format, to move them to
another app.

:func:`export_topics` reads each group with one ``get_topic`` (all its topics) and yields an
:class:`ExportItem` per topic: its :class:`~tim_topics.models.TopicRecord` (name, texts,
creation time, custom topic ID), or why it has none. :func:`record_line` writes a record as
one JSON Lines line that ``tim-topics import`` reads back to the same record.

A topic ID the service assigned (``...@TOPIC#_@TOPIC#...``) cannot be given as a custom ID
to another app, so such a topic is exported without ``TopicId``, with ``SourceTopicId``: the
importer lets the service assign a new ID and its ID map (``--id-map``) tells which. A
custom ID is kept as it is. With ``group_map`` a topic is exported into another group ID:
its custom ID moves with it (same custom part) and its old ID becomes its ``SourceTopicId``.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Final, Literal

import attrs

from ..errors import ApiError, AuthError, TimTopicsError, ValidationError
from ..models import SourcedTopicRecord, Topic, TopicRecord
from ..validation import TOPIC_MARK, check_group_id, check_topic_id
from .input_keys import SOURCE_ID_KEY
from .record_checks import WIRE_LABELS
from .service import TopicService

#: get_topic codes of a listed topic that is gone: nothing to export, not a failure.
DELETED_CODES: Final = frozenset({10010, 110003})
#: Groups read at once by default.
DEFAULT_CONCURRENCY: Final = 4

ExportStatus = Literal["exported", "deleted", "failed"]

#: The record fields an export fills, in the order a line lists them.
_EXPORTED: Final = (
    "group_id",
    "topic_id",
    "topic_name",
    "create_time",
    "custom_string",
    "face_url",
    "notification",
    "introduction",
)


@attrs.frozen(kw_only=True)
class ExportItem:
    """One topic of an export (or a group that could not be read: ``topic_id`` None)."""

    group_id: str
    """The group the topic is in, in the app it is exported from."""
    topic_id: str | None
    """The topic's ID there; None when the whole group failed."""
    status: ExportStatus
    """``exported`` (``record`` is set), ``deleted`` (gone since the group was listed; not
    exported) or ``failed`` (``error`` says why)."""
    record: TopicRecord | None = None
    """The topic as a record of the import format."""
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """True when the topic was exported."""
        return self.record is not None


async def export_topics(
    client: TopicService,
    group_ids: Iterable[str],
    *,
    group_map: Mapping[str, str] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_group_read: Callable[[str], None] | None = None,
) -> AsyncIterator[ExportItem]:
    """Every topic of ``group_ids`` (in that order, each group's topics in the service's
    order), as :class:`ExportItem` records of the import format.

    ``group_map`` (source group ID -> group ID in the destination) exports a group's topics
    into another group. ``concurrency`` groups are read at once. The group IDs are checked
    before any request (ValidationError). A group the service refuses (missing, no topic
    feature, ...) is one ``failed`` item; AuthError stops the export. ``on_group_read(group)``
    is called once a group's items are all yielded (for progress displays).
    """
    groups = _checked_groups(group_ids)
    targets = _checked_map(group_map or {})
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValidationError(
            "concurrency", f"concurrency must be an int >= 1, not {concurrency!r}"
        )
    reads: deque[tuple[str, asyncio.Task[list[ExportItem]]]] = deque()
    pending = iter(groups)
    try:
        while True:
            while len(reads) < concurrency and (group := next(pending, None)) is not None:
                target = targets.get(group, group)
                reads.append((group, asyncio.ensure_future(_group_items(client, group, target))))
            if not reads:
                return
            group, read = reads[0]
            for item in await read:
                yield item
            reads.popleft()
            if on_group_read is not None:
                on_group_read(group)
    finally:
        tasks = [read for _, read in reads]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def _checked_groups(group_ids: Iterable[str]) -> list[str]:
    if isinstance(group_ids, (str, bytes)):
        raise ValidationError("group_ids", "group_ids must be a list of group IDs, not a str")
    groups: list[str] = []
    for index, group in enumerate(group_ids):
        check_group_id(group, f"group_ids[{index}]")
        if group not in groups:
            groups.append(group)
    return groups


def _checked_map(group_map: Mapping[str, str]) -> dict[str, str]:
    for source, target in group_map.items():
        check_group_id(source, "group_map (a source group)")
        check_group_id(target, f"group_map[{source!r}]")
    return dict(group_map)


async def _group_items(client: TopicService, group_id: str, target: str) -> list[ExportItem]:
    try:
        results = await client.get_topic(group_id)
    except AuthError:
        raise
    except TimTopicsError as exc:  # a missing group (10010) too: it was asked for
        return [ExportItem(group_id=group_id, topic_id=None, status="failed", error=exc)]
    items = []
    for result in results:
        topic = result.topic
        topic_id = topic.topic_id if topic is not None else None
        if not result.ok or topic is None:
            gone = result.error_code in DELETED_CODES
            error = ApiError(result.error_code, result.error_info, "get_topic")
            items.append(
                ExportItem(
                    group_id=group_id,
                    topic_id=topic_id,
                    status="deleted" if gone else "failed",
                    error=error,
                )
            )
            continue
        try:
            record = topic_record(topic, group_id=target)
        except ValidationError as exc:
            items.append(
                ExportItem(group_id=group_id, topic_id=topic_id, status="failed", error=exc)
            )
            continue
        items.append(
            ExportItem(group_id=group_id, topic_id=topic_id, status="exported", record=record)
        )
    return items


def topic_record(topic: Topic, *, group_id: str | None = None) -> TopicRecord:
    """The record that imports ``topic`` again (into ``group_id``, default its own group):
    its custom ID kept (moved to ``group_id``), an ID the service assigned given as
    ``source_topic_id``; empty texts and a zero creation time left out."""
    source_group = topic.group_id
    source_id = topic.topic_id
    if source_group is None or source_id is None or topic.topic_name is None:
        raise ValidationError("topic", "the topic has no group ID, topic ID or name")
    target = group_id or source_group
    fields: dict[str, Any] = {
        "group_id": target,
        "topic_name": topic.topic_name,
        "create_time": topic.create_time or None,
        "custom_string": topic.custom_string or None,
        "face_url": topic.face_url or None,
        "notification": topic.notification or None,
        "introduction": topic.introduction or None,
    }
    if not is_custom_topic_id(source_id, source_group):
        return SourcedTopicRecord(**fields, source_topic_id=source_id)
    if target == source_group:
        return TopicRecord(**fields, topic_id=source_id)
    moved = target + source_id[len(source_group) :]
    check_topic_id(moved, target, custom=True, field="topic_id (moved to the new group)")
    return SourcedTopicRecord(**fields, topic_id=moved, source_topic_id=source_id)


def is_custom_topic_id(topic_id: str, group_id: str) -> bool:
    """True when ``topic_id`` could be given as a custom ID (``group_id + "@TOPIC#_" +
    part``, part not of the service's ``@TOPIC#...`` form); False for an ID the service
    assigned."""
    if not topic_id.startswith(group_id + TOPIC_MARK):
        return False
    try:
        check_topic_id(topic_id, group_id, custom=True)
    except ValidationError:
        return False
    return True


def record_line(record: TopicRecord) -> bytes:
    """``record`` as one line of the import format (JSON Lines, the request body's keys,
    ``SourceTopicId`` for a sourced record), ending with a newline."""
    body: dict[str, Any] = {}
    for field in _EXPORTED:
        value = getattr(record, field)
        if isinstance(value, datetime):
            value = int(value.timestamp())
        if value is not None:
            body[WIRE_LABELS[field]] = value
    if record.from_account is not None:
        body[WIRE_LABELS["from_account"]] = record.from_account
    if isinstance(record, SourcedTopicRecord):
        body[SOURCE_ID_KEY] = record.source_topic_id
    try:
        return json.dumps(body, ensure_ascii=False).encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # a lone surrogate: escaped, so the line stays valid JSON
        return json.dumps(body).encode("ascii") + b"\n"
