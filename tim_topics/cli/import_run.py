"""Running an import from a file (:func:`import_file`, which ``tim-topics import`` and the
demo share): count the records, open (or resume) the journal, stream the file through the
bulk engine with a progress display, then write the failures file from the journal and
report. Ctrl-C (or SIGTERM) stops reading the input and lets the records in flight finish; a
second one abandons them (the journal settles them on the next run).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import Final, TextIO

from ..bulk.engine import import_items
from ..bulk.failures_file import write_failures
from ..bulk.file_job import ImportJob, file_items, open_journal
from ..bulk.id_map import IdMapWriter
from ..bulk.inputs import count_records, csv_header, read_records
from ..bulk.journal import Journal
from ..bulk.options import ImportOptions
from ..bulk.outage import OutageError
from ..bulk.pacing import ImportGauges
from ..bulk.record_checks import WIRE_COMMANDS
from ..client import TopicClient
from ..endpoints import SERVICE_TIMEOUT
from ..errors import AuthError
from .progress import ImportTally, ProgressDisplay, ProgressWatch
from .signals import stop_signals
from .summary import SUMMARY_FAILURES, ImportReport

logger = logging.getLogger("tim_topics.cli.import")

#: Failures and bad lines logged one by one; past this, only the summary lists them.
LOGGED_FAILURES: Final = 200
#: Logged at the first Ctrl-C (or SIGTERM).
STOPPING: Final = (
    "stopping: no new records are read; those in flight finish (press Ctrl-C again to "
    "abandon them: the next run settles them)"
)


class _FailureLog:
    """Logs failures one by one up to a limit, then says the rest are in the summary."""

    def __init__(self, limit: int = LOGGED_FAILURES) -> None:
        self.limit = limit
        self.count = 0

    def __call__(self, line: int | None, reason: object) -> None:
        self.count += 1
        if self.count <= self.limit:
            where = f"line {line}" if line is not None else "a record"
            logger.warning("%s: %s", where, reason)
        elif self.count == self.limit + 1:
            logger.warning(
                "more failures: not logged one by one; see the summary and the failures file"
            )


async def _consume(
    job: ImportJob,
    client: TopicClient,
    journal: Journal,
    tally: ImportTally,
    stop: asyncio.Event,
    settle_wait: float,
    gauges: ImportGauges | None = None,
) -> None:
    log_failure = _FailureLog()

    def bad_line(line: int | None, reason: str) -> None:
        tally.bad_lines += 1
        log_failure(line, reason)

    options = ImportOptions(
        command=job.command,
        concurrency=job.concurrency,
        settle_wait=settle_wait,
        retry_failed=False,  # they are the failures file's: sent from there, once
        outage_limit=job.outage_limit,
    )
    items = file_items(job, journal, stop, bad_line)
    outcomes = import_items(client, items, options, journal=journal, gauges=gauges)
    id_map = IdMapWriter(job.id_map)
    try:
        async for outcome in outcomes:
            tally.add(outcome)
            id_map.add(outcome)
            if outcome.status in ("failed", "unknown"):
                log_failure(outcome.line, outcome.error)
    finally:
        id_map.close()
        await outcomes.aclose()
        await items.aclose()


async def import_file(
    job: ImportJob,
    client: TopicClient,
    *,
    stream: TextIO | None = None,
    settle_wait: float = SERVICE_TIMEOUT,
    stop: asyncio.Event | None = None,
) -> ImportReport:
    """Import ``job.input`` with ``client``, showing progress on ``stream`` (stderr)."""
    total = count_records(job.input, fmt=job.fmt)
    header = None
    if job.fmt == "csv":
        header = csv_header(job.input)
        next(read_records(job.input, fmt="csv"), None)  # a bad header stops us here, early
    journal = open_journal(job)
    stop = stop or asyncio.Event()
    tally = ImportTally(total=total)
    wire_command = WIRE_COMMANDS[job.command]
    gauges = ImportGauges()
    display = ProgressDisplay(
        ProgressWatch(tally, client, wire_command, job.rate_limit, gauges=gauges),
        stream or sys.stderr,
        label=f"{wire_command} {job.input.name}",
    )
    metrics = client.metrics
    requests, retries, throttled = metrics.requests, metrics.retries, metrics.throttled
    started = time.monotonic()
    interrupted = False
    aborted: str | None = None
    outage = False
    try:
        display.start()
        ticker = asyncio.create_task(display.run())
        work = asyncio.create_task(_consume(job, client, journal, tally, stop, settle_wait, gauges))
        try:
            with stop_signals(work, stop, stopping=STOPPING):
                await work
        except asyncio.CancelledError:
            if not stop.is_set():
                raise
            interrupted = True
        except AuthError as exc:
            aborted = str(exc)
        except OutageError as exc:
            aborted, outage = str(exc), True
        finally:
            ticker.cancel()
            display.stop()
        interrupted = interrupted or (stop.is_set() and tally.done < total)
        elapsed = time.monotonic() - started
        journal.commit()
        written = write_failures(journal, job.failures, header)
        samples = [
            (row.line, row.reason or row.state) for row in journal.failures(limit=SUMMARY_FAILURES)
        ]
        unknown_samples = [
            (row.line, row.reason or row.state)
            for row in journal.failures(limit=SUMMARY_FAILURES, state="unknown")
        ]
        totals = journal.counts()
    finally:
        journal.close()
    return ImportReport(
        job=job,
        tally=tally,
        totals=totals,
        elapsed=elapsed,
        requests=metrics.requests - requests,
        retries=metrics.retries - retries,
        throttled=metrics.throttled - throttled,
        interrupted=interrupted,
        aborted=aborted,
        outage=outage,
        failures_written=written,
        failure_samples=samples,
        unknown_samples=unknown_samples,
    )
