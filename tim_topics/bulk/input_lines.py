"""The input file as lines, in bounded memory, and what a reader yields per record.

Shared by the JSON Lines and CSV readers (:mod:`tim_topics.bulk.jsonl_input`,
:mod:`tim_topics.bulk.csv_input`): a line over :data:`MAX_LINE_BYTES` is cut to its head and
its rest skipped, so a line of gigabytes is a bad line, not a full memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Final, Literal

import attrs

from ..errors import TimTopicsError
from ..models import TopicRecord

InputFormat = Literal["jsonl", "csv"]

#: The longest line read as a record. A record is a few KB at most (CustomString, the
#: longest field, is 3000 bytes); a longer line is a bad line, read in bounded memory.
MAX_LINE_BYTES: Final = 1 << 20
SKIP_CHUNK: Final = 1 << 16
UTF8_BOM: Final = b"\xef\xbb\xbf"


class InputFormatError(TimTopicsError):
    """The input file as a whole cannot be read (missing, unknown CSV columns, not UTF-8,
    a JSON array instead of JSON Lines, ...)."""


@attrs.frozen(kw_only=True)
class InputLine:
    """One record of the input: readable (``record``) or bad (``error``)."""

    index: int
    """Position among the input's records, from 0 (bad ones included)."""
    line: int
    """Line number in the file, from 1 (a CSV record's first line)."""
    raw: bytes
    """The record's bytes as they were in the file, line ending included (of a line over
    :data:`MAX_LINE_BYTES`, its first :data:`MAX_LINE_BYTES` bytes)."""
    record: TopicRecord | None = None
    error: str | None = None
    """Why the line is bad: ``TopicName is 31 bytes, the limit is 30``."""


def open_input(path: str | Path) -> io.BufferedReader:
    """The file, open for reading bytes; InputFormatError when it cannot be."""
    try:
        return open(path, "rb")  # the callers close it
    except OSError as exc:
        raise InputFormatError(f"cannot read {str(path)!r}: {exc.strerror}") from None


@attrs.frozen
class Line:
    """One line of the file, numbered from 1."""

    number: int
    raw: bytes
    """The line with its ending, or its first MAX_LINE_BYTES bytes when it is longer."""
    size: int
    """The line's length in bytes, ending included."""

    @property
    def overlong(self) -> bool:
        return self.size > len(self.raw)

    @property
    def blank(self) -> bool:
        return not self.overlong and not self.raw.strip()

    def too_long(self) -> str:
        return (
            f"the line is {self.size:,} bytes, over the limit of {MAX_LINE_BYTES:,} "
            "(a record is a few KB at most)"
        )


def lines(handle: io.BufferedReader) -> Iterator[Line]:
    """The file's lines, numbered from 1; a line over MAX_LINE_BYTES is cut to its head
    (the rest is skipped, not held in memory)."""
    for number, (raw, size) in enumerate(raw_lines(handle), start=1):
        yield Line(number, raw, size)


def raw_lines(handle: io.BufferedReader) -> Iterator[tuple[bytes, int]]:
    """Each line (or its first MAX_LINE_BYTES bytes) and its full size."""
    while raw := handle.readline(MAX_LINE_BYTES):
        size = len(raw)
        if size == MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while rest := handle.readline(SKIP_CHUNK):
                size += len(rest)
                if rest.endswith(b"\n"):
                    break
        yield raw, size
