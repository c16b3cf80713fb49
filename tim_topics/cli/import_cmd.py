"""``tim-topics import``: import a JSON Lines or CSV file of topics, resumably.

The work is :func:`import_file`, which the demo reuses: count the records, open (or resume)
the journal, stream the file through the bulk engine with a progress display, then write the
failures file from the journal and report. Ctrl-C (or SIGTERM) stops reading the input and
lets the records in flight finish; a second one abandons them (the journal settles them on
the next run). The exit status is 0 only when every record of the input is there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any, Final, TextIO

import attrs

from ..bulk.destination import Destination, endpoint_of
from ..bulk.engine import ImportOptions, SourceItem, import_items
from ..bulk.id_map import IdMapWriter
from ..bulk.inputs import InputFormat, InputFormatError, count_records, csv_header, read_records
from ..bulk.journal import Journal, JournalError, JournalMismatchError, RowState
from ..bulk.journal import digest as fingerprint_of
from ..bulk.outage import DEFAULT_OUTAGE_LIMIT, OutageError
from ..bulk.outcome import ImportOutcome
from ..bulk.pacing import ImportGauges
from ..bulk.record_checks import WIRE_COMMANDS, BulkCommand
from ..client import TopicClient
from ..endpoints import SERVICE_RATE_LIMIT, SERVICE_TIMEOUT
from ..errors import AuthError, TimTopicsError
from ..limiter import Limiter
from ..redis_limiter import LimiterUnavailableError, RedisLimiter
from .arguments import positive_float, positive_int
from .env import ENV_HELP, REDIS_URL_ENV, EnvError, credentials_from_env, make_client
from .progress import ImportTally, ProgressDisplay, ProgressWatch, format_duration
from .redis_url import redis_url_from as checked_redis_url

logger = logging.getLogger("tim_topics.cli.import")

EXIT_OK: Final = 0
EXIT_FAILURES: Final = 1
EXIT_USAGE: Final = 2
#: Some records were sent and their outcome is still unknown: run the same command again.
EXIT_UNKNOWN: Final = 3
#: The service (or the shared limiter) stayed unreachable past --outage-limit.
EXIT_OUTAGE: Final = 4
EXIT_INTERRUPTED: Final = 130

#: Failures and bad lines logged one by one; past this, only the summary lists them.
LOGGED_FAILURES: Final = 200
#: Failures the summary lists.
SUMMARY_FAILURES: Final = 20
#: Bytes of the input's start that identify it, with its size, in the journal.
HEAD_BYTES: Final = 1 << 20


@attrs.frozen(kw_only=True)
class ImportJob:
    """What to import, and how."""

    input: Path
    command: BulkCommand = "import"
    group_id: str | None = None
    concurrency: int | None = None
    """The most records in flight; None follows the latency."""
    rate_limit: float = SERVICE_RATE_LIMIT
    journal: Path
    failures: Path
    fmt: InputFormat = "jsonl"
    id_map: Path | None = None
    """Where the ``source ID -> new ID`` map goes (``--id-map``), if anywhere."""
    outage_limit: float = DEFAULT_OUTAGE_LIMIT
    """Seconds an outage is waited out before the import stops (``--outage-limit``)."""


@attrs.frozen(kw_only=True)
class ImportReport:
    """How an import run went, for the summary and the exit status."""

    job: ImportJob
    tally: ImportTally
    totals: dict[RowState, int]
    """Rows of the journal in each state, after this run (earlier runs included)."""
    elapsed: float
    requests: int
    retries: int
    throttled: int
    interrupted: bool
    aborted: str | None
    """Why the import stopped early (credentials refused), or None."""
    failures_written: int
    failure_samples: list[tuple[int | None, str]]
    unknown_samples: list[tuple[int | None, str]] = attrs.field(factory=list)
    outage: bool = False
    """The import stopped because the service stayed unreachable (``aborted`` says why)."""
    """Records whose outcome is unknown (line, reason): not in the failures file."""

    @property
    def complete(self) -> bool:
        """Every record of the input is there (imported or exists)."""
        there = self.totals["imported"] + self.totals["exists"]
        return not self.interrupted and self.aborted is None and there == self.tally.total

    @property
    def exit_status(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.outage:
            return EXIT_OUTAGE
        if self.totals["unknown"]:
            return EXIT_UNKNOWN
        return EXIT_OK if self.complete else EXIT_FAILURES


# -- the journal's input check ------------------------------------------------------------------


def input_identity(job: ImportJob) -> dict[str, str]:
    """What ties a journal to its input and options (the path is informative only)."""
    with job.input.open("rb") as handle:
        head = hashlib.sha256(handle.read(HEAD_BYTES)).hexdigest()
    return {
        "input": str(job.input.resolve()),
        "input_size": str(job.input.stat().st_size),
        "input_head": head,
        "input_format": job.fmt,
        "command": job.command,
        "group_id": job.group_id or "",
    }


_IDENTITY_NAMES: Final = {
    "input_size": "input size (bytes)",
    "input_head": "input content",
    "input_format": "input format",
    "command": "--command",
    "group_id": "--group-id",
}


#: What to do when the journal was written for another file or options. Never "delete the
#: journal" or "start over with another": its done records would be sent again, and those
#: without a TopicId made twice.
CHANGED_FILE_ADVICE: Final = (
    "To resume or finish that import, run the same command, with the same options, on the "
    "file as it was. Do not delete this journal or start the file again with a new one: the "
    "records it holds as done would be sent again, and those without a TopicId made twice. "
    "Import new records as a file of their own (it gets a journal of its own), and change "
    "topics already imported with 'tim-topics modify', not by importing them again"
)


def open_journal(job: ImportJob) -> Journal:
    """The job's journal, new or resumed; JournalMismatchError when it was written for
    another input or other options."""
    journal = Journal.open(job.journal)
    try:
        expected = input_identity(job)
        stored = journal.meta()
        if "input_size" not in stored:
            journal.set_meta(expected)
            return journal
        changed = [
            f"{label} was {stored.get(key) or 'none'!r}, now {expected[key] or 'none'!r}"
            for key, label in _IDENTITY_NAMES.items()
            if stored.get(key) != expected[key] and key != "input_head"
        ]
        if stored.get("input_head") != expected["input_head"]:
            changed.append("the input's content differs")
        if changed:
            raise JournalMismatchError(
                f"the journal {str(job.journal)!r} belongs to another import "
                f"({stored.get('input', '?')}): {'; '.join(changed)}. {CHANGED_FILE_ADVICE}"
            )
    except BaseException:
        journal.close()
        raise
    return journal


# -- the failures file --------------------------------------------------------------------------


def write_failures(journal: Journal, path: Path, header: bytes | None) -> int:
    """Write every failed record, as it was in the input and in input order, to ``path``
    (atomically: a temporary file renamed over it); returns how many. With none, a failures
    file of an earlier run is removed, since its records are now imported."""
    temporary = path.with_name(path.name + ".tmp")
    written = 0
    with temporary.open("wb") as handle:
        if header is not None:
            handle.write(header if header.endswith(b"\n") else header + b"\n")
        for row in journal.failures():
            if row.raw is None:
                continue
            handle.write(row.raw if row.raw.endswith(b"\n") else row.raw + b"\n")
            written += 1
    if written:
        os.replace(temporary, path)
    else:
        temporary.unlink()
        path.unlink(missing_ok=True)
    return written


# -- the run --------------------------------------------------------------------------------------


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


async def _read_input(
    job: ImportJob,
    journal: Journal,
    tally: ImportTally,
    stop: asyncio.Event,
    log_failure: Callable[[int | None, object], None],
) -> AsyncGenerator[SourceItem, None]:
    """The input's readable records; bad lines are journaled as failed and reported here."""
    bad_in_a_row = 0
    for entry in read_records(job.input, command=job.command, group_id=job.group_id, fmt=job.fmt):
        if stop.is_set():
            return
        if entry.record is None:
            reason = entry.error or "unreadable"
            journal.mark_failed(
                entry.index,
                digest=fingerprint_of(entry.raw),
                reason=reason,
                line=entry.line,
                raw=entry.raw,
            )
            tally.bad_lines += 1
            log_failure(entry.line, reason)
            bad_in_a_row += 1
            if bad_in_a_row % 256 == 0:
                await asyncio.sleep(0)  # a long run of bad lines: let the display update
            continue
        bad_in_a_row = 0
        yield SourceItem(index=entry.index, record=entry.record, line=entry.line, raw=entry.raw)


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
    options = ImportOptions(
        command=job.command,
        concurrency=job.concurrency,
        settle_wait=settle_wait,
        retry_failed=False,  # they are the failures file's: sent from there, once
        outage_limit=job.outage_limit,
    )
    items = _read_input(job, journal, tally, stop, log_failure)
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


def _install_stop_handlers(stop: asyncio.Event, work: asyncio.Task[Any]) -> Callable[[], None]:
    """First Ctrl-C/SIGTERM: stop reading, finish what is in flight. Second: abandon it.
    Returns a function that removes the handlers."""
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if not stop.is_set():
            stop.set()
            logger.warning(
                "stopping: no new records are read; those in flight finish (press Ctrl-C "
                "again to abandon them: the next run settles them)"
            )
        else:
            work.cancel()

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass

    def remove() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)

    return remove


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
        remove_handlers = _install_stop_handlers(stop, work)
        try:
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
            remove_handlers()
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


# -- the summary ----------------------------------------------------------------------------------


def summary_lines(report: ImportReport) -> list[str]:
    job, tally, totals = report.job, report.tally, report.totals
    wire_command = WIRE_COMMANDS[job.command]
    rate = report.requests / report.elapsed if report.elapsed > 0 else 0.0
    share = 100 * rate / job.rate_limit if job.rate_limit else 0.0
    there = totals["imported"] + totals["exists"]
    failed, unknown = totals["failed"], totals["unknown"]
    if report.interrupted:
        head = f"Stopped {wire_command} of {job.input} after {format_duration(report.elapsed)}"
    elif report.aborted is not None:
        head = f"Stopped {wire_command} of {job.input}: {report.aborted}"
    else:
        head = f"Finished {wire_command} of {job.input} in {format_duration(report.elapsed)}"
    lines = [
        head,
        f"  this run : {tally.imported} imported, "
        f"{tally.exists} exists, {tally.failed} failed, {tally.unknown} unknown, "
        f"{tally.bad_lines} bad lines"
        + (f" ({tally.earlier} already done by earlier runs)" if tally.earlier else "")
        + (
            f" ({tally.failed_earlier} failed in earlier runs: see the failures file)"
            if tally.failed_earlier
            else ""
        ),
        f"  in total : {there} of {tally.total} records there ({totals['imported']} imported, "
        f"{totals['exists']} exists), {failed} failed, {unknown} unknown",
        f"  rate     : {report.requests} calls in {report.elapsed:.1f} s = {rate:.1f} calls/s "
        f"against the limit of {job.rate_limit:g}/s ({share:.0f}%)",
        f"  retries  : {report.retries}; throttled answers (10006 and the like): "
        f"{report.throttled}",
        f"  journal  : {job.journal}",
    ]
    if totals["pending"]:
        lines.append(
            f"  in flight: {totals['pending']} records were in flight when it stopped; the "
            "next run settles them"
        )
    if report.failures_written:
        lines.append(
            f"  failures : {report.failures_written} records written to {job.failures} as they "
            "were in the input: fix them and import that file (this command does not send "
            "them again)"
        )
        lines.extend(
            f"    {'line ' + str(line) if line is not None else 'record'}: {reason}"
            for line, reason in report.failure_samples
        )
        more = report.failures_written - len(report.failure_samples)
        if more > 0:
            lines.append(f"    ... and {more} more in {job.failures}")
    else:
        lines.append("  failures : none")
    if unknown:
        lines.append(
            f"  unknown  : {unknown} records were sent but their outcome is unknown (the answer "
            "was lost and the topics could not be checked); they are not in the failures file. "
            "Run the same command again (same journal) to settle them; do not import them from "
            "another file, that could make them twice"
        )
        lines.extend(
            f"    {'line ' + str(line) if line is not None else 'record'}: {reason}"
            for line, reason in report.unknown_samples
        )
    if report.outage:
        lines.append(
            "The service could not be reached: nothing was marked failed because of it. Run "
            "the same command again once it is reachable: what is done is skipped."
        )
    if report.interrupted:
        lines.append("Run the same command again to finish: what is done is skipped.")
    return lines


def print_summary(report: ImportReport, out: TextIO | None = None) -> None:
    print("\n".join(summary_lines(report)), file=out or sys.stdout, flush=True)


# -- the command line -------------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    """Add the ``import`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "import",
        help="import topics from a JSON Lines or CSV file (resumable)",
        description=(
            "Import topics from FILE: JSON Lines whose objects use the request body keys "
            "(GroupId, TopicId, TopicName, CreateTime, From_Account, CustomString, FaceUrl, "
            "Notification, Introduction), or a .csv file with those keys as column headers. "
            "A journal makes it resumable: after Ctrl-C, a crash or kill -9, run the same "
            "command again to finish; nothing is lost or imported twice. Bad lines and "
            "refused records are reported and written to the failures file. " + ENV_HELP
        ),
    )
    parser.add_argument("file", type=Path, help="the topics, .jsonl or .csv")
    parser.add_argument("--group-id", help="the GroupId of records that have none")
    parser.add_argument(
        "--command",
        choices=("import", "create"),
        default="import",
        help="import_topic (no webhooks, keeps CreateTime; the default) or create_topic",
    )
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=None,
        help=(
            "the most records in flight (default: no cap; as many as the rate limit needs at "
            "the latency observed: rate x latency plus headroom, growing and shrinking with it)"
        ),
    )
    parser.add_argument(
        "--rate-limit",
        type=positive_float,
        default=float(SERVICE_RATE_LIMIT),
        help="calls per second (default 200, the service's limit per command)",
    )
    parser.add_argument(
        "--journal",
        type=Path,
        help=(
            "the journal (default FILE.APP.journal, or FILE.APP-HOST-PORT.journal with "
            "TIM_BASE_URL: one per destination); a journal of another app or endpoint is refused"
        ),
    )
    parser.add_argument(
        "--failures", type=Path, help="where failed records go (default FILE.failed.jsonl/.csv)"
    )
    parser.add_argument(
        "--id-map",
        type=Path,
        help=(
            "write 'SourceTopicId<TAB>new TopicId' for each exported record (tim-topics "
            "export) to this file, rewritten by each run"
        ),
    )
    parser.add_argument(
        "--redis-url",
        help=(
            "share one rate budget per command with every importer using this Redis "
            f"(redis://host:port/db; default ${REDIS_URL_ENV}); a URL with a password must "
            f"come from ${REDIS_URL_ENV}, not the command line"
        ),
    )
    parser.add_argument(
        "--outage-limit",
        type=positive_float,
        default=DEFAULT_OUTAGE_LIMIT,
        metavar="SECONDS",
        help=(
            "when the endpoint cannot be reached (refused, DNS, TLS) or the shared Redis is "
            "down, the import pauses and retries; after this long it stops, marking nothing "
            f"failed, and exits {EXIT_OUTAGE} (default {DEFAULT_OUTAGE_LIMIT:g})"
        ),
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log retries and settling")
    parser.set_defaults(run=run)


def redis_url_from(args: argparse.Namespace, environ: Mapping[str, str]) -> str | None:
    """The Redis URL of the shared limiter, if any; credentials are refused on the command
    line (process listings show them). The rules: :mod:`tim_topics.cli.redis_url`."""
    return checked_redis_url(args.redis_url, environ)


@contextlib.asynccontextmanager
async def shared_limiter(
    redis_url: str | None, sdkappid: int, rate_limit: float
) -> AsyncIterator[Limiter | None]:
    """A :class:`RedisLimiter` keyed on the app (so every importer of it shares the
    budget), checked with a ping and closed after; None without a URL."""
    if redis_url is None:
        yield None
        return
    limiter = RedisLimiter(redis_url, key_prefix=f"tim:{sdkappid}", rate_limit=rate_limit)
    try:
        await limiter.ping()
        yield limiter
    finally:
        await limiter.aclose()


def default_journal(source: Path, destination: Destination | None) -> Path:
    """``FILE.<app>.journal`` (``FILE.<app>-<host>-<port>.journal`` for a base URL): one per
    destination, so a test import and a production one never share a journal."""
    if destination is None:
        return source.with_name(source.name + ".journal")
    return source.with_name(f"{source.name}.{destination.file_tag}.journal")


def job_from_args(args: argparse.Namespace, destination: Destination | None = None) -> ImportJob:
    """The job the arguments describe; ValueError with a clear message if they describe none.
    ``destination`` (the app and endpoint) names the default journal."""
    source: Path = args.file
    if not source.is_file():
        raise ValueError(f"{str(source)!r} is not a file")
    fmt: InputFormat = "csv" if source.suffix.lower() == ".csv" else "jsonl"
    suffix = ".csv" if fmt == "csv" else ".jsonl"
    journal = args.journal or default_journal(source, destination)
    failures = args.failures or source.with_name(source.stem + ".failed" + suffix)
    if failures.resolve() == source.resolve():
        raise ValueError("--failures must not be the input file itself")
    if args.id_map is not None and args.id_map.resolve() == source.resolve():
        raise ValueError("--id-map must not be the input file itself")
    return ImportJob(
        input=source,
        command=args.command,
        group_id=args.group_id,
        concurrency=args.concurrency,
        rate_limit=args.rate_limit,
        journal=journal,
        failures=failures,
        fmt=fmt,
        id_map=args.id_map,
        outage_limit=args.outage_limit,
    )


def configure_logging(verbose: bool) -> None:
    """Warnings (bad lines, failures) and progress lines; with ``verbose``, retries and
    settling too."""
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("tim_topics.cli").setLevel(logging.INFO)
    logging.getLogger("tim_topics.bulk").setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("tim_topics.client").setLevel(logging.INFO if verbose else logging.ERROR)


def run(args: argparse.Namespace) -> int:
    try:
        credentials = credentials_from_env(os.environ)
        job = job_from_args(
            args, Destination(credentials.sdkappid, endpoint_of(credentials.endpoint))
        )
        redis_url = redis_url_from(args, os.environ)
    except (ValueError, EnvError) as exc:
        print(f"tim-topics import: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(args.verbose)

    async def main() -> ImportReport:
        async with (
            shared_limiter(redis_url, credentials.sdkappid, job.rate_limit) as limiter,
            make_client(credentials, rate_limit=job.rate_limit, limiter=limiter) as client,
        ):
            return await import_file(job, client)

    try:
        report = asyncio.run(main())
    except (EnvError, InputFormatError, JournalError, LimiterUnavailableError) as exc:
        print(f"tim-topics import: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TimTopicsError as exc:
        print(f"tim-topics import: error: {exc}", file=sys.stderr)
        return EXIT_FAILURES
    except KeyboardInterrupt:  # pragma: no cover - only where signal handlers are missing
        return EXIT_INTERRUPTED
    print_summary(report)
    return report.exit_status


__all__ = [
    "ImportJob",
    "ImportOutcome",
    "ImportReport",
    "import_file",
    "print_summary",
    "register",
    "run",
]
