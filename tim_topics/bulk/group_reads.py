"""Shared reads of a group's topics, for settling.

Settling a lost answer reads the whole group (``get_topic``). When answers are lost by
the dozen, one read per record is ruinous: each is a large answer to build, send, decode
and search (about 30 us of CPU per topic on each side: a read of 6,000 topics stalls the
client's event loop for some 0.2 s), and a call against the get_topic limit. So the records
settling in one group together share one read, a settle wave: the first to ask opens it,
those that ask before it is sent join it. It is sent when its window closes, or sooner,
once no record known to be on its way to it (:meth:`GroupReads.expect`) is still to come;
so the last records of an import wait no longer than they must.

The window grows with the group (its last read's size / ``READ_BUDGET`` seconds, between
``window`` and ``max_window``): reads of a large group come at most every few seconds, and
cost the client's loop a few percent of its time. A record waiting to settle holds no send
slot (:mod:`tim_topics.bulk.parking`), so a longer wait costs it nothing but time; and as
a wave goes as soon as no record due before its deadline is still to come, the last
records of an import are not kept waiting for it.

A read already sent is never joined: a settlement may only use a read sent after it began
(so that no send of its name was in flight at the time), which a read not yet sent always
is. Each read's topics are indexed by name once (:class:`GroupTopics`), for every
settlement of the wave to look at its own name's topics only.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import OrderedDict
from collections.abc import Iterable
from typing import Final

import attrs

from ..models import TopicResult
from .service import TopicService
from .settle import SETTLE_FIELDS

#: Seconds a group read waits for more records to settle, at the least.
DEFAULT_WINDOW: Final = 0.2
#: Seconds it waits at the most.
MAX_WINDOW: Final = 10.0
#: Topics per second of window: a group last read with 3,000 topics is read every 6 s.
READ_BUDGET: Final = 500.0
#: Groups whose size is remembered (the most recently read).
REMEMBERED_GROUPS: Final = 1024


class GroupTopics:
    """One read of a group's topics, indexed by name."""

    def __init__(self, results: Iterable[TopicResult]) -> None:
        self._by_name: dict[str | None, list[TopicResult]] = {}
        self.size = 0
        """Topics in the answer."""
        for result in results:
            self.size += 1
            name = None if result.topic is None else result.topic.topic_name
            self._by_name.setdefault(name, []).append(result)

    def named(self, topic_name: str) -> list[TopicResult]:
        """The results whose topic has this name (the only ones that can settle it)."""
        return self._by_name.get(topic_name, [])


@attrs.define(eq=False)
class _Wave:
    """A read not yet sent, and the settlements that joined it."""

    future: asyncio.Future[GroupTopics]
    deadline: float
    changed: asyncio.Event = attrs.field(factory=asyncio.Event)


class GroupReads:
    """One pending read per group, shared by the settlements that ask for it in time."""

    def __init__(
        self,
        client: TopicService,
        *,
        window: float = DEFAULT_WINDOW,
        max_window: float = MAX_WINDOW,
    ) -> None:
        self._client = client
        self._window = window
        self._max_window = max(window, max_window)
        self._waves: dict[str, _Wave] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        #: Records on their way to a read: group -> token -> when they will ask (loop time).
        self._coming: dict[str, dict[int, float]] = {}
        self._tokens = itertools.count()
        self._sizes: OrderedDict[str, int] = OrderedDict()
        self.reads = 0
        """Reads sent so far."""
        self.requests = 0
        """Reads asked for so far (each served by one of the reads sent)."""

    def window(self, group_id: str) -> float:
        """Seconds a new read of ``group_id`` waits for more settlements, at the most."""
        size = self._sizes.get(group_id, 0)
        return min(self._max_window, max(self._window, size / READ_BUDGET))

    def expect(self, group_id: str, due: float) -> int:
        """Note that a record will ask for a read of ``group_id`` at loop time ``due``
        (it waits to settle); a wave open until then waits for it. Returns the token to
        :meth:`forget` when its wait is over (it asks now, or never)."""
        token = next(self._tokens)
        self._coming.setdefault(group_id, {})[token] = due
        return token

    def forget(self, group_id: str, token: int) -> None:
        """The record of ``token`` is no longer on its way (no-op when already forgotten)."""
        coming = self._coming.get(group_id)
        due = None if coming is None else coming.pop(token, None)
        if coming is None or due is None:
            return
        if not coming:
            del self._coming[group_id]
        wave = self._waves.get(group_id)
        if wave is not None and due <= wave.deadline:
            wave.changed.set()  # one fewer for the wave to wait for

    async def read(self, group_id: str) -> GroupTopics:
        """The group's topics (with the fields settling needs), from a read sent after
        this call began. Raises what ``get_topic`` raised."""
        self.requests += 1
        wave = self._waves.get(group_id)
        if wave is None:
            loop = asyncio.get_running_loop()
            future: asyncio.Future[GroupTopics] = loop.create_future()
            future.add_done_callback(_quiet)
            wave = self._waves[group_id] = _Wave(future, loop.time() + self.window(group_id))
            task = asyncio.create_task(self._send_later(group_id, wave))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(wave.future)

    async def _send_later(self, group_id: str, wave: _Wave) -> None:
        try:
            try:
                await self._gather(group_id, wave)
            finally:
                if self._waves.get(group_id) is wave:
                    del self._waves[group_id]  # who asks from now on waits for the next
            self.reads += 1
            results = await self._client.get_topic(group_id, response_filter=SETTLE_FIELDS)
            topics = GroupTopics(results)
            del results
            self._sizes[group_id] = topics.size
            self._sizes.move_to_end(group_id)
            if len(self._sizes) > REMEMBERED_GROUPS:
                self._sizes.popitem(last=False)
        except asyncio.CancelledError:
            wave.future.cancel()
            raise
        except Exception as exc:
            if not wave.future.done():
                wave.future.set_exception(exc)
        else:
            if not wave.future.done():
                wave.future.set_result(topics)

    async def _gather(self, group_id: str, wave: _Wave) -> None:
        """Wait until the wave's deadline, or until no record expected by then is still
        to come."""
        loop = asyncio.get_running_loop()
        while True:
            left = wave.deadline - loop.time()
            coming = self._coming.get(group_id, {})
            if left <= 0 or not any(due <= wave.deadline for due in coming.values()):
                return
            wave.changed.clear()
            timer = loop.call_later(left, wave.changed.set)
            try:
                await wave.changed.wait()
            finally:
                timer.cancel()

    async def aclose(self) -> None:
        """Cancel the reads not yet answered (the import is over)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)
        for wave in self._waves.values():
            if not wave.future.done():
                wave.future.cancel()
        self._waves.clear()
        self._coming.clear()


def _quiet(future: asyncio.Future[GroupTopics]) -> None:
    """Mark an error as seen: the settlements that asked may all be gone."""
    if not future.cancelled():
        future.exception()
