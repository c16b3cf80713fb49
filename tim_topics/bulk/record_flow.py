"""One record's way through the bulk engine (the workers of :mod:`tim_topics.bulk.engine`
run it for each record they take).

Validate (a bad record fails at once, nothing sent); look the record up in the journal
(done by an earlier run: reported, not sent; noted but unsettled: settled first); note it as
pending (committed) before its request leaves; send it with the client's safe retries;
record the result. A record without a custom topic ID whose answer was lost is settled
(:mod:`tim_topics.bulk.settle`, reads shared by :mod:`~tim_topics.bulk.group_reads`) and sent
again only when it certainly made nothing; one whose outcome cannot be told ends
``unknown``, for the next run to settle. While it waits to settle, its send slot is given up
(``park``, see :mod:`~tim_topics.bulk.parking`). A custom ID found in use is ``exists`` only when
the topic equals the record (:mod:`tim_topics.bulk.conflicts`). An outage (the endpoint
unreachable, the shared limiter down) waits at :class:`~tim_topics.bulk.outage.OutageGate`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Final, Literal

from ..errors import (
    AlreadyExistsError,
    AuthError,
    ClientClosedError,
    OutcomeUnknownError,
    TimTopicsError,
    TransportError,
    ValidationError,
)
from ..models import TopicRecord, TopicResult
from ..retry import is_ambiguous
from .conflicts import TopicIdConflictError, check_in_use
from .gate import SendGate
from .group_reads import GroupReads
from .journal import DONE_STATES, UNSETTLED_STATES, Journal, JournalError, JournalMismatchError
from .journal import digest as fingerprint_of
from .options import ImportOptions
from .outage import OutageError, OutageGate, is_outage, outage_cause
from .outcome import ImportOutcome
from .record_checks import WIRE_COMMANDS, TopicRequest, checked_request
from .service import TopicService
from .settle import find_made_topic
from .source import SourceItem

logger = logging.getLogger("tim_topics.bulk")

#: What to do about an input that changed under its journal. Never "start over with a new
#: journal": the records the first one noted as done would be sent again, and those
#: without a custom ID made twice.
CHANGED_INPUT_ADVICE: Final = (
    "Keep the journal: to finish, run the import again on the input as it was; then import "
    "only new records, as an input of their own (with a journal of its own), and change "
    "topics already imported with modify_topic (tim-topics modify), not by importing them again"
)

#: Called when a record starts waiting to settle: its send slot may go to another record.
Park = Callable[[], None]


def _stay() -> None:
    """The default :data:`Park`: the record keeps its slot."""


class RecordFlow:
    """Takes one record at a time to its outcome (many at once, one per worker)."""

    def __init__(
        self,
        client: TopicService,
        journal: Journal,
        options: ImportOptions,
        *,
        outage: OutageGate,
        group_reads: GroupReads,
        abort: Callable[[AuthError], None],
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
        self.outage = outage
        #: Settlements of one group within a short window share one read of it.
        self.group_reads = group_reads
        #: Called when the credentials are refused: an error that concerns every record.
        self._abort = abort

    async def process(self, item: SourceItem, *, park: Park = _stay) -> ImportOutcome:
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
                park=park,
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
        park: Park,
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
                park=park,
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
                park=park,
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
        park: Park,
    ) -> ImportOutcome | None:
        """The record's outcome when settling decides it made a topic (or cannot decide);
        None when it certainly made none. A failed read of the group's topics is tried again,
        ``max_sends`` reads in all, before the record is left unknown."""
        read = 0
        probed = False
        while True:
            await self._wait_to_settle(request.group_id, not_before, park)
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
                        read_group=self._read_named,
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

    async def _wait_to_settle(self, group_id: str, not_before: float, park: Park) -> None:
        """Sleep until ``not_before`` (giving the send slot up); a shared read of the group
        opened meanwhile waits for this record (not for one held up afterwards at the
        gate: it may wait for the settlement that waits for that read)."""
        delay = not_before - self._loop.time()
        if delay <= 0:
            return
        token = self.group_reads.expect(group_id, not_before)
        try:
            park()
            await asyncio.sleep(delay)
        finally:
            self.group_reads.forget(group_id, token)

    async def _read_named(self, request: TopicRequest) -> list[TopicResult]:
        """The topics of ``request``'s name, from a shared read of its group."""
        topics = await self.group_reads.read(request.group_id)
        return topics.named(request.topic_name)

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
