"""The engine's input: :class:`SourceItem` (a record and its position) and the shared
source the workers take them from, one at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

import attrs

from ..models import TopicRecord


@attrs.frozen(kw_only=True)
class SourceItem:
    """One input record with its position; ``line`` and ``raw`` (the input line as it was)
    when it was read from a file, for the journal's failures."""

    index: int
    record: TopicRecord
    line: int | None = None
    raw: bytes | None = None


Records = Iterable[TopicRecord] | AsyncIterable[TopicRecord]
Items = Iterable[SourceItem] | AsyncIterable[SourceItem]


def numbered(records: Records) -> Items:
    """The records as items, numbered from 0 in the order they come."""
    if isinstance(records, AsyncIterable):
        return _numbered_async(records)
    return (SourceItem(index=index, record=record) for index, record in enumerate(records))


async def _numbered_async(records: AsyncIterable[TopicRecord]) -> AsyncIterator[SourceItem]:
    index = 0
    async for record in records:
        yield SourceItem(index=index, record=record)
        index += 1


class Source:
    """The shared input: one item per call, read by one worker at a time."""

    def __init__(self, items: Items) -> None:
        self._sync: Iterator[SourceItem] | None = None
        self._async: AsyncIterator[SourceItem] | None = None
        if isinstance(items, AsyncIterable):
            self._async = aiter(items)
        else:
            self._sync = iter(items)
        self._lock = asyncio.Lock()
        self.exhausted = False

    async def next(self) -> SourceItem | None:
        if self.exhausted:
            return None
        if self._sync is not None:
            item = next(self._sync, None)
            if item is None:
                self.exhausted = True
            return item
        assert self._async is not None
        async with self._lock:
            if self.exhausted:
                return None
            try:
                return await anext(self._async)
            except StopAsyncIteration:
                self.exhausted = True
                return None

    def stop(self) -> None:
        self.exhausted = True

    async def aclose(self) -> None:
        """Close the items if they are an async generator (``import_topics`` numbers the
        caller's records in one of its own; the caller's iterables stay theirs)."""
        close = getattr(self._async, "aclose", None)
        if close is not None:
            await close()
