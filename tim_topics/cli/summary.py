"""The summary of an import run (:class:`ImportReport`), printed when it ends, beside the
live progress of :mod:`tim_topics.cli.progress`; and its exit status."""

from __future__ import annotations

import sys
from typing import Final, TextIO

import attrs

from ..bulk.file_job import ImportJob
from ..bulk.journal import RowState
from ..bulk.record_checks import WIRE_COMMANDS
from .exits import EXIT_FAILURES, EXIT_INTERRUPTED, EXIT_OK, EXIT_OUTAGE, EXIT_UNKNOWN
from .progress import ImportTally, format_duration

#: Failures the summary lists.
SUMMARY_FAILURES: Final = 20


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
    """Records whose outcome is unknown (line, reason): not in the failures file."""
    outage: bool = False
    """The import stopped because the service stayed unreachable (``aborted`` says why)."""

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


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``1 record``, ``2 records``: a number with its noun in the right form."""
    return f"{number} {noun if number == 1 else (plural or noun + 's')}"


def were(number: int) -> str:
    return "was" if number == 1 else "were"


def summary_lines(report: ImportReport) -> list[str]:
    """The summary of ``report``, line by line."""
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
        f"{count(tally.bad_lines, 'bad line')}"
        + (f" ({tally.earlier} already done by earlier runs)" if tally.earlier else "")
        + (
            f" ({tally.failed_earlier} failed in earlier runs: see the failures file)"
            if tally.failed_earlier
            else ""
        ),
        f"  in total : {there} of {count(tally.total, 'record')} there ({totals['imported']} imported, "
        f"{totals['exists']} exists), {failed} failed, {unknown} unknown",
        f"  rate     : {count(report.requests, 'call')} in {report.elapsed:.1f} s = {rate:.1f} calls/s "
        f"against the limit of {job.rate_limit:g}/s ({share:.0f}%)",
        f"  retries  : {report.retries}; throttled answers (10006 and the like): "
        f"{report.throttled}",
        f"  journal  : {job.journal}",
    ]
    if totals["pending"]:
        lines.append(
            f"  in flight: {count(totals['pending'], 'record')} {were(totals['pending'])} in "
            "flight when it stopped; the "
            "next run settles them"
        )
    if report.failures_written:
        lines.append(
            f"  failures : {count(report.failures_written, 'record')} written to {job.failures} "
            "as in the input: fix them and import that file (this command does not send "
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
            f"  unknown  : {count(unknown, 'record')} {were(unknown)} sent but the outcome is "
            "unknown (the answer "
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
