"""Reading topic records from JSON Lines or CSV files written with the request body keys.

Each reader yields one :class:`InputLine` per record (blank lines are not records): its
position, its line number, the bytes as they were in the file (for the failures file), and
either the checked :class:`~tim_topics.models.TopicRecord` or the reason it is bad, worded
with the file's own key names (``TopicName is 31 bytes, the limit is 30``). A bad line never
stops the reading, whatever it holds: broken or deeply nested JSON, a line of gigabytes, bytes
that are not UTF-8. Problems of the whole file raise :class:`InputFormatError` before any
record is read: unknown CSV columns, a UTF-16 file, a JSON array or pretty-printed JSON where
JSON Lines is expected (with the command that converts it).

``SourceTopicId`` (written by ``tim-topics export``) is the topic's ID in the app it came
from: it makes the record a :class:`~tim_topics.models.SourcedTopicRecord` and is never sent.

The readers: :mod:`~tim_topics.bulk.jsonl_input` and :mod:`~tim_topics.bulk.csv_input`; the
lines in bounded memory: :mod:`~tim_topics.bulk.input_lines`; records from keys, and the
wording of bad lines: :mod:`~tim_topics.bulk.input_keys`. This module opens the file.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from .csv_input import csv_records, csv_rows
from .input_keys import (
    COMMUNITY,
    INPUT_KEYS,
    SOURCE_ID_KEY,
    TYPE_KEY,
    record_from_keys,
)
from .input_lines import (
    MAX_LINE_BYTES,
    InputFormat,
    InputFormatError,
    InputLine,
    lines,
    open_input,
    raw_lines,
)
from .jsonl_input import JSONL_HINT, check_first_record_line, jsonl_records
from .record_checks import BulkCommand

#: Byte order marks of the encodings a JSON Lines or CSV file must not be in.
_FOREIGN_BOMS: Final = (
    (b"\xff\xfe\x00\x00", "UTF-32LE"),
    (b"\x00\x00\xfe\xff", "UTF-32BE"),
    (b"\xff\xfe", "UTF-16LE"),
    (b"\xfe\xff", "UTF-16BE"),
)


def input_format(path: str | Path) -> InputFormat:
    """``csv`` for a ``.csv`` file, else ``jsonl``."""
    return "csv" if Path(path).suffix.lower() == ".csv" else "jsonl"


def read_records(
    path: str | Path,
    *,
    command: BulkCommand = "import",
    group_id: str | None = None,
    fmt: InputFormat | None = None,
) -> Iterator[InputLine]:
    """The records of a JSON Lines or CSV file, one at a time; ``group_id`` fills in a
    missing ``GroupId``. InputFormatError (on the first ``next``) when the file as a whole
    is not in the format."""
    kind = fmt or input_format(path)
    handle = open_input(path)
    with handle:
        check_file_start(handle, kind, path)
        if kind == "csv":
            yield from csv_records(lines(handle), command=command, group_id=group_id)
        else:
            yield from jsonl_records(lines(handle), command=command, group_id=group_id)


def csv_header(path: str | Path) -> bytes:
    """The header line of a CSV file, as it is (for the failures file)."""
    with open_input(path) as handle:
        first = next(lines(handle), None)
        return b"" if first is None else first.raw


def count_records(path: str | Path, *, fmt: InputFormat | None = None) -> int:
    """How many records the file holds (readable or not), without checking them.
    InputFormatError when the file as a whole is not in the format."""
    kind = fmt or input_format(path)
    with open_input(path) as handle:
        check_file_start(handle, kind, path)
        if kind == "jsonl":
            return sum(1 for raw, size in raw_lines(handle) if size > len(raw) or raw.strip())
        return max(0, sum(1 for _ in csv_rows(lines(handle))) - 1)


def check_file_start(handle: io.BufferedReader, kind: InputFormat, path: str | Path) -> None:
    """InputFormatError when the file is not UTF-8 (UTF-16, UTF-32) or, for JSON Lines,
    is one JSON array or pretty-printed JSON; the handle is put back at the start."""
    name = Path(path).name
    head = handle.peek(4)[:4]
    encoding = next((enc for bom, enc in _FOREIGN_BOMS if head.startswith(bom)), None)
    if encoding is None and b"\x00" in head:
        encoding = "UTF-16BE" if head.startswith(b"\x00") else "UTF-16LE"
    if encoding is not None:
        label = "JSON Lines" if kind == "jsonl" else "CSV"
        raise InputFormatError(
            f"line 1: the file is {encoding}, but {label} input must be UTF-8: convert it "
            f"first, e.g. iconv -f {encoding} -t UTF-8 {name} > utf8-{name}"
        )
    if kind == "jsonl":
        first = next((line for line in lines(handle) if not line.blank), None)
        handle.seek(0)
        if first is not None:
            check_first_record_line(first, name)
    handle.seek(0)


__all__ = [
    "COMMUNITY",
    "INPUT_KEYS",
    "JSONL_HINT",
    "MAX_LINE_BYTES",
    "SOURCE_ID_KEY",
    "TYPE_KEY",
    "InputFormat",
    "InputFormatError",
    "InputLine",
    "check_file_start",
    "count_records",
    "csv_header",
    "input_format",
    "read_records",
    "record_from_keys",
]
