"""The bulk import engine: every input record, once, at the rate limit, with flat memory.

Shape: worker tasks pull ``(index, record)`` items from one shared iterator, so the input
is read only as fast as workers free up (backpressure), and hand their outcomes to the
consumer through a bounded queue, so nothing piles up. How many workers run follows the
latency (:mod:`tim_topics.bulk.pacing`): as many records in flight as the rate limit needs,
never more than ``concurrency`` when it is given, plus as many outcomes waiting to be
consumed.

Per record: validate (a bad record fails at once, nothing sent); look the record up in the
journal (done by an earlier run: reported, not sent; noted but unsettled: settled first);
note it as pending (committed) before its request leaves; send it with the client's safe
retries; record the result. A record without a custom topic ID whose answer was lost is
settled (:mod:`tim_topics.bulk.settle`, reads shared by :mod:`~tim_topics.bulk.group_reads`)
and sent again only when it certainly made nothing; one whose outcome cannot be told ends
``unknown``, for the next run to settle. A custom ID found in use is ``exists`` only when
the topic equals the record (:mod:`tim_topics.bulk.conflicts`). An outage (the endpoint
unreachable, the shared limiter down) pauses the import (:mod:`tim_topics.bulk.outage`).

Closing the iterator (``break`` out of ``async for``, ``aclose()``) cancels the workers;
records cut short stay pending in the journal and are settled by the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Final, Literal

import attrs

from ..client import TopicClient
from ..endpoints import SERVICE_TIMEOUT
from ..errors import (
    AlreadyExistsError,
    AuthError,
    ClientClosedError,
    OutcomeUnknownError,
    TimTopicsError,
    TransportError,
    ValidationError,
)
from ..models import TopicRecord
from ..retry import is_ambiguous
from .conflicts import TopicIdConflictError, check_in_use
from .destination import destination_of
from .gate import SendGate
from .group_reads import GroupReads
from .journal import DONE_STATES, UNSETTLED_STATES, Journal, JournalError, JournalMismatchError
from .journal import digest as fingerprint_of
from .outage import DEFAULT_OUTAGE_LIMIT, OutageError, OutageGate, is_outage, outage_cause
from .outcome import ImportOutcome
from .pacing import ImportGauges, InFlightTarget
from .record_checks import WIRE_COMMANDS, BulkCommand, TopicRequest, check_command, checked_request
from .settle import DEFAULT_CLOCK_SKEW, find_made_topic

logger = logging.getLogger("tim_topics.bulk")

#: The default ``concurrency``: no cap, the records in flight follow the latency.
DEFAULT_CONCURRENCY: Final = None
#: Sends of one record without a topic ID, each of which lost its answer and was found to
#: have made nothing, before the record is given up.
DEFAULT_MAX_SENDS: Final = 3

#: What to do about an input that changed under its journal. Never "start over with a new
#: journal": the records the first one noted as done would be sent again, and those
#: without a custom ID made twice.
CHANGED_INPUT_ADVICE: Final = (
    "Keep the journal: to finish, run the import again on the input as it was; then import "
    "only new records, as an input of their own (with a journal of its own), and change "
    "topics already imported with modify_topic (tim-topics modify), not by importing them again"
)

#: Outcomes waiting for the consumer, at the most (workers wait beyond it).
MAX_QUEUED: Final = 1024

JournalLike = Journal | str | os.PathLike[str] | None


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


@attrs.frozen(kw_only=True)
class ImportOptions:
    """How the engine runs (see :func:`import_topics`)."""

    command: BulkCommand = "import"
    concurrency: int | None = DEFAULT_CONCURRENCY
    """The most records in flight; None (the default) lets them follow the latency."""
    settle_wait: float = SERVICE_TIMEOUT
    clock_skew: float = DEFAULT_CLOCK_SKEW
    max_sends: int = DEFAULT_MAX_SENDS
    outage_limit: float = DEFAULT_OUTAGE_LIMIT
    """Seconds an outage (endpoint unreachable, shared limiter down) is waited out before
    the import stops with :class:`~tim_topics.bulk.outage.OutageError`."""
    retry_failed: bool = True
    """Whether records an earlier run marked failed are sent again (False when they were
    handed to the user in a failures file: sending them from both could make them twice)."""

    def __attrs_post_init__(self) -> None:
        check_command(self.command)
        if self.concurrency is None:
            pass
        elif isinstance(self.concurrency, bool) or not isinstance(self.concurrency, int):
            raise ValidationError("concurrency", "concurrency must be an int or None")
        elif not 1 <= self.concurrency <= 10_000:
            raise ValidationError(
                "concurrency", f"concurrency is {self.concurrency}, it must be 1 to 10000"
            )
        for name in ("settle_wait", "clock_skew", "outage_limit"):
            if getattr(self, name) < 0:
                raise ValidationError(name, f"{name} must not be negative")
        if self.max_sends < 1:
            raise ValidationError("max_sends", f"max_sends is {self.max_sends}, the minimum is 1")


def import_topics(
    client: TopicClient,
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
    return import_items(client, _numbered(records), options, journal=journal, gauges=gauges)


def _numbered(records: Records) -> Items:
    if isinstance(records, AsyncIterable):
        return _numbered_async(records)
    return (SourceItem(index=index, record=record) for index, record in enumerate(records))


async def _numbered_async(records: AsyncIterable[TopicRecord]) -> AsyncIterator[SourceItem]:
    index = 0
    async for record in records:
        yield SourceItem(index=index, record=record)
        index += 1


async def import_items(
    client: TopicClient,
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


class _Source:
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


@attrs.frozen
class _WorkerExit:
    error: BaseException | None


class _Importer:
    def __init__(
        self,
        client: TopicClient,
        journal: Journal,
        options: ImportOptions,
        gauges: ImportGauges | None = None,
    ) -> None:
        self.client = client
        self.journal = journal
        self.options = options
        self.command = options.command
        self.wire_command = WIRE_COMMANDS[options.command]
        self.gate = SendGate()
        self._loop = asyncio.get_running_loop()
        #: Records an earlier run left unsettled are read no earlier than this: any request
        #: of that run was sent before this run started.
        self._resume_not_before = self._loop.time() + options.settle_wait
        self._source: _Source | None = None
        #: An error that concerns every record (the credentials were refused): no new
        #: record is read, those in flight finish, then the iterator raises it.
        self.abort_error: AuthError | None = None
        self.pacing = InFlightTarget(
            lambda: client.effective_rate(self.wire_command),
            lambda: client.metrics.requests,
            cap=options.concurrency,
            gauges=gauges,
        )
        self.outage = OutageGate(options.outage_limit, gauges=self.pacing.gauges)
        #: Settlements of one group within a short window share one read of it.
        self.group_reads = GroupReads(client)
        #: Workers that take records (a worker over the target retires after its record).
        self._active = 0

    async def run(self, items: Items) -> AsyncGenerator[ImportOutcome, None]:
        source = self._source = _Source(items)
        queue: asyncio.Queue[ImportOutcome | _WorkerExit] = asyncio.Queue(
            maxsize=min(self.pacing.ceiling, MAX_QUEUED)
        )
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

    async def _work(
        self, source: _Source, queue: asyncio.Queue[ImportOutcome | _WorkerExit]
    ) -> None:
        error: BaseException | None = None
        try:
            while True:
                await self.outage.wait_open()  # during an outage, take no new record
                item = await source.next()
                if item is None:
                    break
                started = self.pacing.started()
                try:
                    outcome = await self._process(item)
                finally:
                    self.pacing.finished(started)
                await queue.put(outcome)
                if self._active > self.pacing.target:
                    break  # the target shrank: retire
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # fatal (journal, input): stop the import with it
            error = exc
        self._active -= 1
        await queue.put(_WorkerExit(error))

    # -- one record ------------------------------------------------------------------------

    async def _process(self, item: SourceItem) -> ImportOutcome:
        record = item.record
        if not isinstance(record, TopicRecord):
            raise TypeError(f"record {item.index} is a {type(record).__name__}, not a TopicRecord")
        fingerprint = fingerprint_of(repr(record).encode())
        row = self.journal.row(item.index)
        if row is not None and row.digest != fingerprint:
            where = f" (line {item.line})" if item.line is not None else ""
            raise JournalMismatchError(
                f"record {item.index}{where} differs from the one the journal "
                f"{str(self.journal.path)!r} noted for it: the input changed since the earlier "
                f"run. {CHANGED_INPUT_ADVICE}"
            )
        if row is not None and row.state in DONE_STATES and row.topic_id is not None:
            return ImportOutcome(
                index=item.index,
                record=record,
                status="imported" if row.state == "imported" else "exists",
                topic_id=row.topic_id,
                line=item.line,
                earlier=True,
            )
        if row is not None and row.state == "failed" and not self.options.retry_failed:
            return ImportOutcome(
                index=item.index,
                record=record,
                status="failed",
                error=TimTopicsError(row.reason or "failed in an earlier run"),
                line=item.line,
                earlier=True,
            )
        try:
            request = checked_request(record, self.command)
        except ValidationError as exc:
            return self._failed(item, fingerprint, exc, unknown=False)
        unsettled = row is not None and row.state in UNSETTLED_STATES
        try:
            return await self._import(
                item,
                request,
                fingerprint,
                earlier_noted_at=row.noted_at if unsettled and row is not None else None,
                unsettled=unsettled,
            )
        except (JournalError, OutageError, asyncio.CancelledError):
            raise
        except Exception as exc:  # a bug: this record fails, its fate is left to settle
            logger.exception("record %d: unexpected error", item.index)
            return self._failed(item, fingerprint, exc, unknown=True)

    async def _import(
        self,
        item: SourceItem,
        request: TopicRequest,
        fingerprint: int,
        *,
        earlier_noted_at: float | None,
        unsettled: bool,
    ) -> ImportOutcome:
        custom = request.topic_id is not None
        if unsettled and not custom:
            logger.info(
                "record %d: an earlier run sent it and got no answer: settling it", item.index
            )
            settled = await self._settle(
                item,
                request,
                fingerprint,
                not_before=self._resume_not_before,
                noted_at=earlier_noted_at,
            )
            if settled is not None:
                return settled
        key = (request.group_id, request.topic_name)
        sends = 0
        probed = False
        while sends < self.options.max_sends:
            outage: TimTopicsError | None = None
            gate = contextlib.nullcontext() if custom else self.gate.sending(key)
            async with gate:
                noted_at = time.time()
                await self.journal.note_pending(
                    item.index, digest=fingerprint, noted_at=noted_at, line=item.line
                )
                try:
                    made = await self.client.send_create(self.wire_command, request)
                except AlreadyExistsError:
                    self.outage.up()
                    return await self._in_use(item, request, fingerprint)
                except ClientClosedError as exc:
                    return self._failed(item, fingerprint, exc, unknown=True)
                except TimTopicsError as exc:
                    if is_outage(exc):
                        outage = exc
                    else:
                        self.outage.up()
                        if isinstance(exc, AuthError):
                            self._abort(exc)
                        if not is_ambiguous(exc):
                            return self._failed(item, fingerprint, exc, unknown=False)
                        lost_at = self._loop.time()
                else:
                    self.outage.up()
                    if made.made_earlier:
                        return await self._in_use(item, request, fingerprint)
                    return self._done(item, "imported", made.topic_id)
            if outage is not None:
                # It never left: not a send. Wait for the service, then send it again.
                probed = await self.outage.wait_to_retry(outage, probed=probed)
                continue
            probed = False
            sends += 1
            if custom:
                # Sending again is safe: the custom ID cannot be made twice (10021/10025).
                logger.info("record %d: the answer was lost: sending it again", item.index)
                continue
            logger.info("record %d: the answer was lost: settling it", item.index)
            settled = await self._settle(
                item,
                request,
                fingerprint,
                not_before=lost_at + self.options.settle_wait,
                noted_at=noted_at,
            )
            if settled is not None:
                return settled
            logger.info("record %d: it made no topic: sending it again", item.index)
        tries = f"{self.options.max_sends} sends of topic {request.topic_name!r}"
        if custom:
            unknown = OutcomeUnknownError(
                f"{self.wire_command}: the outcome is unknown: {tries} lost their answers; "
                "running again settles it (a custom topic ID is never made twice)",
                command=self.wire_command,
            )
            return self._failed(item, fingerprint, unknown, unknown=True)
        given_up = TransportError(
            f"{self.wire_command}: {tries} lost their answers, and none made the topic; giving up",
            command=self.wire_command,
            sent=False,
        )
        return self._failed(item, fingerprint, given_up, unknown=False)

    async def _settle(
        self,
        item: SourceItem,
        request: TopicRequest,
        fingerprint: int,
        *,
        not_before: float,
        noted_at: float | None,
    ) -> ImportOutcome | None:
        """The record's outcome when settling decides it made a topic (or cannot decide);
        None when it certainly made none. A failed read of the group's topics is tried again,
        ``max_sends`` reads in all, before the record is left unknown."""
        read = 0
        probed = False
        while True:
            delay = not_before - self._loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            outage: BaseException | None = None
            async with self.gate.settling((request.group_id, request.topic_name)):
                try:
                    topic_id = await find_made_topic(
                        self.client,
                        self.wire_command,
                        request,
                        noted_at=noted_at,
                        is_claimed=self.journal.is_claimed,
                        clock_skew=self.options.clock_skew,
                        read_group=self.group_reads.read,
                    )
                except OutcomeUnknownError as exc:
                    outage = outage_cause(exc)
                    if outage is None:
                        self.outage.up()
                        read += 1
                        if read >= self.options.max_sends:
                            return self._failed(item, fingerprint, exc, unknown=True)
                        logger.warning("record %d: cannot settle it yet: %s", item.index, exc)
                        not_before = self._loop.time() + self.options.settle_wait
                        continue
                else:
                    self.outage.up()
                    if topic_id is None:
                        return None
                    logger.info("record %d: found its topic %s", item.index, topic_id)
                    return self._done(item, "imported", topic_id)
            # The group could not be read for an outage: not a read; wait it out (outside
            # the settlement, so that the sends of this name are not held up by it).
            probed = await self.outage.wait_to_retry(outage, probed=probed)

    async def _in_use(
        self, item: SourceItem, request: TopicRequest, fingerprint: int
    ) -> ImportOutcome:
        """The record's custom ID is in use: ``exists`` when the topic equals the record,
        ``failed`` (a conflict naming the fields) when it differs."""
        assert request.topic_id is not None
        probed = False
        while True:
            try:
                await check_in_use(self.client, self.wire_command, request)
            except TopicIdConflictError as exc:
                self.outage.up()
                return self._failed(item, fingerprint, exc, unknown=False)
            except OutcomeUnknownError as exc:
                cause = outage_cause(exc)
                if cause is None:
                    return self._failed(item, fingerprint, exc, unknown=True)
                probed = await self.outage.wait_to_retry(cause, probed=probed)
                continue
            self.outage.up()
            return self._done(item, "exists", request.topic_id)

    def _abort(self, error: AuthError) -> None:
        if self.abort_error is None:
            logger.error("stopping the import: %s", error)
            self.abort_error = error
        if self._source is not None:
            self._source.stop()

    def _done(
        self, item: SourceItem, status: Literal["imported", "exists"], topic_id: str
    ) -> ImportOutcome:
        self.journal.mark_done(item.index, status, topic_id)
        return ImportOutcome(
            index=item.index, record=item.record, status=status, topic_id=topic_id, line=item.line
        )

    def _failed(
        self, item: SourceItem, fingerprint: int, error: BaseException, *, unknown: bool
    ) -> ImportOutcome:
        self.journal.mark_failed(
            item.index,
            digest=fingerprint,
            reason=str(error) or type(error).__name__,
            unknown=unknown,
            line=item.line,
            raw=item.raw,
        )
        return ImportOutcome(
            index=item.index,
            record=item.record,
            status="unknown" if unknown else "failed",
            error=error,
            line=item.line,
        )
