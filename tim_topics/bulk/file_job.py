"""An import from a file: the job (:class:`ImportJob`), the journal's tie to its input and
options (its identity), and the file's records as the engine's items.

A journal holds the fate of each record by its position in the input, so it is only
meaningful for the input and options it was written for: :func:`open_journal` refuses one
written for another file, a changed file or other options, rather than skip or re-send the
wrong records.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import Final

import attrs

from ..endpoints import SERVICE_RATE_LIMIT
from .inputs import InputFormat, read_records
from .journal import Journal, JournalMismatchError
from .journal import digest as fingerprint_of
from .outage import DEFAULT_OUTAGE_LIMIT
from .record_checks import BulkCommand
from .source import SourceItem

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
    """Calls per second the client is made with (the summary measures the rate against it)."""
    journal: Path
    failures: Path
    fmt: InputFormat = "jsonl"
    id_map: Path | None = None
    """Where the ``source ID -> new ID`` map goes (``--id-map``), if anywhere."""
    outage_limit: float = DEFAULT_OUTAGE_LIMIT
    """Seconds an outage is waited out before the import stops (``--outage-limit``)."""


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


async def file_items(
    job: ImportJob,
    journal: Journal,
    stop: asyncio.Event,
    on_bad_line: Callable[[int | None, str], None],
) -> AsyncGenerator[SourceItem, None]:
    """The input's readable records, until ``stop`` is set; a bad line is journaled as
    failed and handed to ``on_bad_line(line, reason)``."""
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
            on_bad_line(entry.line, reason)
            bad_in_a_row += 1
            if bad_in_a_row % 256 == 0:
                await asyncio.sleep(0)  # a long run of bad lines: let the display update
            continue
        bad_in_a_row = 0
        yield SourceItem(index=entry.index, record=entry.record, line=entry.line, raw=entry.raw)
