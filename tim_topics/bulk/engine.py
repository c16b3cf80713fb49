"""The bulk import engine: every input record, once, at the rate limit, with flat memory.

Shape: worker tasks pull ``(index, record)`` items from one shared iterator
(:mod:`tim_topics.bulk.source`), so the input is read only as fast as workers free up
(backpressure), and hand their outcomes to the consumer through a bounded queue, so nothing
piles up. How many workers run follows the latency (:mod:`tim_topics.bulk.pacing`): as many
records in flight as the rate limit needs, never more than ``concurrency`` when it is
given, plus as many outcomes waiting to be consumed. A record waiting to settle a lost
answer gives its slot up (:mod:`tim_topics.bulk.parking`): its worker stays with it and
another takes the next record. Each record's own way (journal, send, settling, conflicts,
outages) is :mod:`tim_topics.bulk.record_flow`.

Closing the iterator (``break`` out of ``async for``, ``aclose()``) cancels the workers;
records cut short stay pending in the journal and are settled by the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncGenerator
from typing import Final

import attrs

from ..endpoints import SERVICE_TIMEOUT
from ..errors import AuthError
from .destination import destination_of
from .group_reads import GroupReads
from .journal import Journal
from .options import DEFAULT_CONCURRENCY, DEFAULT_MAX_SENDS, ImportOptions
from .options import JournalLike as JournalLike
from .outage import DEFAULT_OUTAGE_LIMIT, OutageGate
from .outcome import ImportOutcome
from .pacing import ImportGauges, InFlightTarget
from .parking import Parking
from .record_checks import WIRE_COMMANDS, BulkCommand
from .record_flow import RecordFlow
from .service import TopicService
from .settle import DEFAULT_CLOCK_SKEW
from .source import Items, Records, Source, SourceItem, numbered

logger = logging.getLogger("tim_topics.bulk")

#: Outcomes waiting for the consumer, at the most (workers wait beyond it).
MAX_QUEUED: Final = 1024


def import_topics(
    client: TopicService,
    records: Records,
    concurrency: int | None = DEFAULT_CONCURRENCY,
    command: BulkCommand = "import",
    *,
    journal: JournalLike = None,
    gauges: ImportGauges | None = None,
    settle_wait: float = SERVICE_TIMEOUT,
    clock_skew: float = DEFAULT_CLOCK_SKEW,
    max_sends: int = DEFAULT_MAX_SENDS,
    retry_failed: bool = True,
    outage_limit: float = DEFAULT_OUTAGE_LIMIT,
) -> AsyncGenerator[ImportOutcome, None]:
    """Import (``command="import"``) or create (``"create"``) every record; yields one
    :class:`ImportOutcome` per record, in completion order.

    ``records`` is any iterable or async iterable of :class:`TopicRecord`; it is read as
    the work goes (a generator of a million records runs in flat memory). ``journal`` is a
    :class:`Journal` or the path of one: running again with the same journal and the same
    records skips what is done and settles what an interrupted run left open. Without one,
    a temporary journal is used.

    ``concurrency`` None (the default) keeps as many records in flight as the rate limit
    needs at the latency observed (rate x latency, plus headroom; up to what the limit needs
    at the service's 3 s time-out), growing and shrinking with it; an int caps them.
    Records waiting to settle a lost answer are not among them (at most as many again).
    ``gauges`` (an :class:`ImportGauges`) is kept up to date with the records in flight,
    the target and the latency, for a progress display. ``settle_wait`` is how long after a
    lost answer the group's topics are read (the service's own time-out, 3 s); ``max_sends``
    bounds the sends of a record whose answers are lost; ``clock_skew`` is how far the
    service's clock may lag ours when a topic without a creation time is matched;
    ``retry_failed=False`` reports records an earlier run marked failed as failed again
    (``earlier=True``) instead of sending them.

    When the endpoint cannot be reached (refused, DNS, TLS) or the shared limiter's Redis
    is down, the import pauses: no new record is taken and one record probes with back-off
    until calls get through, then everything resumes; no record fails for it. After
    ``outage_limit`` seconds (default 300) it raises :class:`OutageError`.

    Raises :class:`~tim_topics.errors.AuthError` (after the records in flight are reported)
    when the service refuses the credentials, :class:`JournalError` when the journal fails
    or was written for other records, and whatever the input iterator raises.
    """
    options = ImportOptions(
        command=command,
        concurrency=concurrency,
        settle_wait=settle_wait,
        clock_skew=clock_skew,
        max_sends=max_sends,
        retry_failed=retry_failed,
        outage_limit=outage_limit,
    )
    return import_items(client, numbered(records), options, journal=journal, gauges=gauges)


async def import_items(
    client: TopicService,
    items: Items,
    options: ImportOptions,
    *,
    journal: JournalLike = None,
    gauges: ImportGauges | None = None,
) -> AsyncGenerator[ImportOutcome, None]:
    """:func:`import_topics` over items that carry their own index (and input line)."""
    owned = not isinstance(journal, Journal)
    book = (
        journal
        if isinstance(journal, Journal)
        else Journal.temporary()
        if journal is None
        else Journal.open(journal)
    )
    try:
        destination = destination_of(client)
        book.claim_destination(destination.sdkappid, destination.endpoint)
    except BaseException:
        if owned:
            book.close()
        raise
    runner = _Importer(client, book, options, gauges).run(items)
    try:
        async for outcome in runner:
            yield outcome
    finally:
        await runner.aclose()  # cancels the workers now, not when collected
        if owned:
            book.close()
        else:
            book.commit()


@attrs.frozen
class _WorkerExit:
    error: BaseException | None


class _Wake:
    """A worker's slot came free (its record was parked): start another worker."""


_WAKE: Final = _Wake()
_Message = ImportOutcome | _WorkerExit | _Wake


class _Importer:
    def __init__(
        self,
        client: TopicService,
        journal: Journal,
        options: ImportOptions,
        gauges: ImportGauges | None = None,
    ) -> None:
        self._source: Source | None = None
        #: An error that concerns every record (the credentials were refused): no new
        #: record is read, those in flight finish, then the iterator raises it.
        self.abort_error: AuthError | None = None
        wire_command = WIRE_COMMANDS[options.command]
        self.pacing = InFlightTarget(
            lambda: client.effective_rate(wire_command),
            lambda: client.metrics.requests,
            cap=options.concurrency,
            gauges=gauges,
        )
        self.group_reads = GroupReads(client)
        self._queue: asyncio.Queue[_Message] | None = None
        self.parking = Parking(self.pacing, limit=self.pacing.ceiling, on_park=self._wake)
        self.flow = RecordFlow(
            client,
            journal,
            options,
            outage=OutageGate(options.outage_limit, gauges=self.pacing.gauges),
            group_reads=self.group_reads,
            abort=self._abort,
        )
        #: Workers that take records (a worker over the target retires after its record).
        self._active = 0

    async def run(self, items: Items) -> AsyncGenerator[ImportOutcome, None]:
        source = self._source = Source(items)
        queue: asyncio.Queue[_Message] = asyncio.Queue(maxsize=min(self.pacing.ceiling, MAX_QUEUED))
        self._queue = queue
        workers: set[asyncio.Task[None]] = set()
        running = 0  # workers whose exit is still to come through the queue
        spawned = 0
        try:
            while True:
                while self._active < self.pacing.target and not source.exhausted:
                    worker = asyncio.create_task(
                        self._work(source, queue), name=f"tim-topics-import-{spawned}"
                    )
                    workers.add(worker)
                    worker.add_done_callback(workers.discard)
                    spawned += 1
                    running += 1
                    self._active += 1
                if not running:
                    break
                got = await queue.get()
                if isinstance(got, _Wake):
                    continue
                if isinstance(got, _WorkerExit):
                    running -= 1
                    if got.error is not None:
                        source.stop()
                        raise got.error
                    continue
                yield got
            if self.abort_error is not None:
                raise self.abort_error
        finally:
            source.stop()
            left = list(workers)
            for worker in left:
                worker.cancel()
            await asyncio.gather(*left, return_exceptions=True)
            await self.group_reads.aclose()
            await source.aclose()

    async def _work(self, source: Source, queue: asyncio.Queue[_Message]) -> None:
        error: BaseException | None = None
        parked = False
        try:
            while True:
                await self.flow.outage.wait_open()  # during an outage, take no new record
                item = await source.next()
                if item is None:
                    break
                ticket = self.parking.take()
                try:
                    park = functools.partial(self.parking.park, ticket)
                    outcome = await self.flow.process(item, park=park)
                finally:
                    self.parking.done(ticket)
                    parked = ticket.parked  # its slot went to another worker
                await queue.put(outcome)
                if parked or self._active > self.pacing.target:
                    break  # the target shrank: retire
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # fatal (journal, input): stop the import with it
            error = exc
        if not parked:
            self._active -= 1
        await queue.put(_WorkerExit(error))

    def _wake(self) -> None:
        """A record was parked: its worker no longer counts; let the run loop start another."""
        self._active -= 1
        if self._queue is not None:
            with contextlib.suppress(asyncio.QueueFull):  # a full queue wakes the loop anyway
                self._queue.put_nowait(_WAKE)

    def _abort(self, error: AuthError) -> None:
        if self.abort_error is None:
            logger.error("stopping the import: %s", error)
            self.abort_error = error
        if self._source is not None:
            self._source.stop()


__all__ = ["ImportOptions", "JournalLike", "SourceItem", "import_items", "import_topics"]
