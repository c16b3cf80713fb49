"""Shared reads of a group's topics, for settling.

Settling a lost answer reads the whole group (``get_topic``). When answers are lost by
the dozen, one read per record is ruinous: each is a large answer, held in memory, and a
call against the get_topic limit. So the records waiting to settle in one group within a
short window share one read: the first asks, those that ask within ``window`` seconds
join it, and the read is sent when the window closes. A read already sent is never joined:
a settlement may only use a read sent after it began (so that no send of its name was in
flight at the time), which a read not yet sent always is.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final

from ..models import TopicResult
from .service import TopicService
from .settle import SETTLE_FIELDS

#: Seconds a group read waits for more records to settle before it is sent.
DEFAULT_WINDOW: Final = 0.2


class GroupReads:
    """One pending read per group, shared by the settlements that ask for it in time."""

    def __init__(self, client: TopicService, *, window: float = DEFAULT_WINDOW) -> None:
        self._client = client
        self._window = window
        self._pending: dict[str, asyncio.Future[list[TopicResult]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.reads = 0
        """Reads sent so far."""
        self.requests = 0
        """Reads asked for so far (each served by one of the reads sent)."""

    async def read(self, group_id: str) -> list[TopicResult]:
        """The group's topics (with the fields settling needs), from a read sent after
        this call began. Raises what ``get_topic`` raised."""
        self.requests += 1
        future = self._pending.get(group_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            future.add_done_callback(_quiet)
            self._pending[group_id] = future
            task = asyncio.create_task(self._send_later(group_id, future))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(future)

    async def _send_later(self, group_id: str, future: asyncio.Future[list[TopicResult]]) -> None:
        try:
            try:
                await asyncio.sleep(self._window)
            finally:
                if self._pending.get(group_id) is future:
                    del self._pending[group_id]  # who asks from now on waits for the next
            self.reads += 1
            results = await self._client.get_topic(group_id, response_filter=SETTLE_FIELDS)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
        else:
            if not future.done():
                future.set_result(results)

    async def aclose(self) -> None:
        """Cancel the reads not yet answered (the import is over)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)
        for future in self._pending.values():
            if not future.done():
                future.cancel()
        self._pending.clear()


def _quiet(future: asyncio.Future[list[TopicResult]]) -> None:
    """Mark an error as seen: the settlements that asked may all be gone."""
    if not future.cancelled():
        future.exception()
