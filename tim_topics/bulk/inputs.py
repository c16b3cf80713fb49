"""Reading topic records from JSON Lines or CSV files written with the request body keys.

Each reader yields one :class:`InputLine` per record (blank lines are not records): its
position, its line number, the bytes as they were in the file (for the failures file), and
either the checked :class:`~tim_topics.models.TopicRecord` or the reason it is bad, worded
with the file's own key names (``TopicName is 31 bytes, the limit is 30``). A bad line never
stops the reading. Problems of the whole file (unknown CSV columns) raise
:class:`InputFormatError` before any record is read.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final, Literal

import attrs

from ..errors import TimTopicsError, ValidationError
from ..models import TopicRecord
from .record_checks import WIRE_LABELS, BulkCommand, checked_request

InputFormat = Literal["jsonl", "csv"]

#: Input keys (the request body's) -> record fields.
INPUT_KEYS: Final[Mapping[str, str]] = {wire: field for field, wire in WIRE_LABELS.items()}
#: import_topic's ``Type``: accepted when it is the only value the service allows.
TYPE_KEY: Final = "Type"
COMMUNITY: Final = "Community"
_KNOWN_KEYS: Final = ", ".join([*INPUT_KEYS, TYPE_KEY])


class InputFormatError(TimTopicsError):
    """The input file as a whole cannot be read (missing, unknown CSV columns, ...)."""


@attrs.frozen(kw_only=True)
class InputLine:
    """One record of the input: readable (``record``) or bad (``error``)."""

    index: int
    """Position among the input's records, from 0 (bad ones included)."""
    line: int
    """Line number in the file, from 1 (a CSV record's first line)."""
    raw: bytes
    """The record's bytes as they were in the file, line ending included."""
    record: TopicRecord | None = None
    error: str | None = None
    """Why the line is bad: ``TopicName is 31 bytes, the limit is 30``."""


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
    missing ``GroupId``."""
    kind = fmt or input_format(path)
    handle = _open(path)
    with handle:
        if kind == "csv":
            yield from _csv_records(handle, command=command, group_id=group_id)
        else:
            yield from _jsonl_records(handle, command=command, group_id=group_id)


def csv_header(path: str | Path) -> bytes:
    """The header line of a CSV file, as it is (for the failures file)."""
    with _open(path) as handle:
        return handle.readline()


def count_records(path: str | Path, *, fmt: InputFormat | None = None) -> int:
    """How many records the file holds (readable or not), without checking them."""
    kind = fmt or input_format(path)
    with _open(path) as handle:
        if kind == "jsonl":
            return sum(1 for raw in handle if raw.strip())
        return max(0, sum(1 for _ in _csv_rows(handle)) - 1)


def _open(path: str | Path) -> io.BufferedReader:
    try:
        return open(path, "rb")  # the callers close it
    except OSError as exc:
        raise InputFormatError(f"cannot read {str(path)!r}: {exc.strerror}") from None


# -- records from key/value pairs -------------------------------------------------------------


def record_from_keys(
    values: Mapping[str, Any], *, command: BulkCommand, group_id: str | None
) -> TopicRecord:
    """A checked record from the request body's keys; ValidationError naming the key."""
    fields: dict[str, Any] = {}
    for key, value in values.items():
        if key == TYPE_KEY:
            if value != COMMUNITY:
                raise ValidationError(
                    TYPE_KEY,
                    f"Type must be {COMMUNITY!r} (the only type with topics), not {value!r}",
                )
            continue
        field = INPUT_KEYS.get(key)
        if field is None:
            raise ValidationError(key, f"unknown key {key!r}; the keys are: {_KNOWN_KEYS}")
        if field == "create_time" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValidationError(
                key, f"{key} must be an integer (Unix seconds), not {type(value).__name__}"
            )
        fields[field] = value
    if "group_id" not in fields:
        if group_id is None:
            raise ValidationError("GroupId", "GroupId is missing (give it here or with --group-id)")
        fields["group_id"] = group_id
    if "topic_name" not in fields:
        raise ValidationError("TopicName", "TopicName is missing")
    record = TopicRecord(**fields)
    checked_request(record, command, labels=WIRE_LABELS)
    return record


def _decoded(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            "line",
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})",
        ) from None


# -- JSON Lines -------------------------------------------------------------------------------


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {key!r} is given twice")
        result[key] = value
    return result


def _parse_json_line(text: str, *, command: BulkCommand, group_id: str | None) -> TopicRecord:
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise ValidationError("line", f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    except ValueError as exc:  # from _unique_keys
        raise ValidationError("line", str(exc)) from None
    if not isinstance(value, dict):
        raise ValidationError(
            "line", f"a line must hold one JSON object, not a {type(value).__name__}"
        )
    return record_from_keys(value, command=command, group_id=group_id)


def _jsonl_records(
    lines: Iterable[bytes], *, command: BulkCommand, group_id: str | None
) -> Iterator[InputLine]:
    index = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        content = raw[3:] if number == 1 and raw.startswith(b"\xef\xbb\xbf") else raw
        try:
            record = _parse_json_line(_decoded(content), command=command, group_id=group_id)
        except ValidationError as exc:
            yield InputLine(index=index, line=number, raw=raw, error=exc.message)
        else:
            yield InputLine(index=index, line=number, raw=raw, record=record)
        index += 1


# -- CSV --------------------------------------------------------------------------------------


@attrs.frozen
class _CsvRow:
    line: int
    raw: bytes
    cells: list[str]


def _csv_rows(lines: Iterable[bytes]) -> Iterator[_CsvRow]:
    """CSV rows with their first line number and raw bytes. Bytes that are not UTF-8 are
    kept as lone surrogates, so a bad row is reported rather than stopping the file."""
    buffered: list[bytes] = []
    number = 0

    def text_lines() -> Iterator[str]:
        nonlocal number
        for raw in lines:
            number += 1
            buffered.append(raw)
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            yield raw.decode("utf-8", errors="surrogateescape")

    reader = csv.reader(text_lines(), strict=True)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            first = number - len(buffered) + 1
            raw = b"".join(buffered)
            buffered.clear()
            yield _CsvRow(first, raw, [f"\0{exc}"])
            continue
        first = number - len(buffered) + 1
        raw = b"".join(buffered)
        buffered.clear()
        if not raw.strip():
            continue
        yield _CsvRow(first, raw, cells)


def _csv_records(
    lines: Iterable[bytes], *, command: BulkCommand, group_id: str | None
) -> Iterator[InputLine]:
    rows = _csv_rows(lines)
    header_row = next(rows, None)
    if header_row is None:
        return
    header = header_row.cells
    unknown = [key for key in header if key not in INPUT_KEYS and key != TYPE_KEY]
    if unknown or len(set(header)) != len(header):
        problem = f"unknown column {unknown[0]!r}" if unknown else "a column is named twice"
        raise InputFormatError(
            f"line {header_row.line}: the CSV header has {problem}; the columns are the request "
            f"body keys: {_KNOWN_KEYS}"
        )
    for index, row in enumerate(rows):
        try:
            record = _csv_record(header, row.cells, command=command, group_id=group_id)
        except ValidationError as exc:
            yield InputLine(index=index, line=row.line, raw=row.raw, error=exc.message)
        else:
            yield InputLine(index=index, line=row.line, raw=row.raw, record=record)


def _csv_record(
    header: list[str], cells: list[str], *, command: BulkCommand, group_id: str | None
) -> TopicRecord:
    if len(cells) == 1 and cells[0].startswith("\0"):
        raise ValidationError("line", f"not valid CSV: {cells[0][1:]}")
    if len(cells) != len(header):
        raise ValidationError(
            "line", f"{len(cells)} values, but the header has {len(header)} columns"
        )
    values: dict[str, Any] = {}
    for key, cell in zip(header, cells, strict=True):
        try:
            cell.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValidationError(
                key, f"{key} is not valid UTF-8 (at character {exc.start + 1})"
            ) from None
        if cell == "" and key != "TopicName":
            continue  # an empty cell is an absent optional value
        if key == "CreateTime":
            if not (cell.isascii() and cell.isdigit()):
                raise ValidationError(
                    key, f"CreateTime must be Unix seconds (digits), not {cell!r}"
                )
            values[key] = int(cell)
        else:
            values[key] = cell
    return record_from_keys(values, command=command, group_id=group_id)
