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
from ..models import SourcedTopicRecord, TopicRecord, check_source_topic_id
from ..validation import GROUP_ID_MAX_BYTES, TOPIC_ID_MAX_BYTES
from .record_checks import WIRE_LABELS, BulkCommand, checked_request

InputFormat = Literal["jsonl", "csv"]

#: The key of a record's topic ID in the app it was exported from (never sent).
SOURCE_ID_KEY: Final = "SourceTopicId"
#: Input keys (the request body's, and ``SourceTopicId``) -> record fields.
INPUT_KEYS: Final[Mapping[str, str]] = {
    **{wire: field for field, wire in WIRE_LABELS.items()},
    SOURCE_ID_KEY: "source_topic_id",
}
#: import_topic's ``Type``: accepted when it is the only value the service allows.
TYPE_KEY: Final = "Type"
COMMUNITY: Final = "Community"
_KNOWN_KEYS: Final = ", ".join([*INPUT_KEYS, TYPE_KEY])

#: The longest line read as a record. A record is a few KB at most (CustomString, the
#: longest field, is 3000 bytes); a longer line is a bad line, read in bounded memory.
MAX_LINE_BYTES: Final = 1 << 20
_SKIP_CHUNK: Final = 1 << 16
_UTF8_BOM: Final = b"\xef\xbb\xbf"
#: Byte order marks of the encodings a JSON Lines or CSV file must not be in.
_FOREIGN_BOMS: Final = (
    (b"\xff\xfe\x00\x00", "UTF-32LE"),
    (b"\x00\x00\xfe\xff", "UTF-32BE"),
    (b"\xff\xfe", "UTF-16LE"),
    (b"\xfe\xff", "UTF-16BE"),
)
#: String keys too long for a quoted error message: their size is checked first.
_ID_LIMITS: Final[Mapping[str, int]] = {
    "GroupId": GROUP_ID_MAX_BYTES,
    "TopicId": TOPIC_ID_MAX_BYTES,
    SOURCE_ID_KEY: TOPIC_ID_MAX_BYTES,
}
JSONL_HINT: Final = "JSON Lines is expected: one whole JSON object per line"


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
    handle = _open(path)
    with handle:
        check_file_start(handle, kind, path)
        if kind == "csv":
            yield from _csv_records(_lines(handle), command=command, group_id=group_id)
        else:
            yield from _jsonl_records(_lines(handle), command=command, group_id=group_id)


def csv_header(path: str | Path) -> bytes:
    """The header line of a CSV file, as it is (for the failures file)."""
    with _open(path) as handle:
        first = next(_lines(handle), None)
        return b"" if first is None else first.raw


def count_records(path: str | Path, *, fmt: InputFormat | None = None) -> int:
    """How many records the file holds (readable or not), without checking them.
    InputFormatError when the file as a whole is not in the format."""
    kind = fmt or input_format(path)
    with _open(path) as handle:
        check_file_start(handle, kind, path)
        if kind == "jsonl":
            return sum(1 for raw, size in _raw_lines(handle) if size > len(raw) or raw.strip())
        return max(0, sum(1 for _ in _csv_rows(_lines(handle))) - 1)


def _open(path: str | Path) -> io.BufferedReader:
    try:
        return open(path, "rb")  # the callers close it
    except OSError as exc:
        raise InputFormatError(f"cannot read {str(path)!r}: {exc.strerror}") from None


# -- lines in bounded memory -------------------------------------------------------------------


@attrs.frozen
class _Line:
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


def _lines(handle: io.BufferedReader) -> Iterator[_Line]:
    """The file's lines, numbered from 1; a line over MAX_LINE_BYTES is cut to its head
    (the rest is skipped, not held in memory)."""
    for number, (raw, size) in enumerate(_raw_lines(handle), start=1):
        yield _Line(number, raw, size)


def _raw_lines(handle: io.BufferedReader) -> Iterator[tuple[bytes, int]]:
    """Each line (or its first MAX_LINE_BYTES bytes) and its full size."""
    while raw := handle.readline(MAX_LINE_BYTES):
        size = len(raw)
        if size == MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while rest := handle.readline(_SKIP_CHUNK):
                size += len(rest)
                if rest.endswith(b"\n"):
                    break
        yield raw, size


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
        first = next((line for line in _lines(handle) if not line.blank), None)
        handle.seek(0)
        if first is not None:
            _check_first_record_line(first, name)
    handle.seek(0)


def _check_first_record_line(first: _Line, name: str) -> None:
    """InputFormatError when the first non-blank line starts a JSON array (of records) or
    a pretty-printed object: the file is JSON, not JSON Lines."""
    text = first.raw.removeprefix(_UTF8_BOM).strip()
    where = f"line {first.number}"
    if text == b"{":
        raise InputFormatError(
            f"{where} holds only '{{': the file looks like pretty-printed JSON; {JSONL_HINT}. "
            f"Convert it with: jq -c . {name} > records.jsonl"
        )
    if not text.startswith(b"["):
        return
    if not first.overlong:
        try:
            value = json.loads(text)
        except RecursionError:
            return  # nested too deeply: a bad line like any other
        except ValueError:
            if text != b"[" and not text.endswith(b","):
                return  # not an array spread over lines ("[" alone, or "[{...},")
        else:
            if not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
                return  # some other array: a bad line like any other
    raise InputFormatError(
        f"{where}: the file is one JSON array, but {JSONL_HINT}. "
        f"Convert it with: jq -c '.[]' {name} > records.jsonl"
    )


# -- records from key/value pairs -------------------------------------------------------------


def _shown(text: str, limit: int = 60) -> str:
    """``repr(text)``, cut short: a message must not repeat a huge value."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    return "a string" if isinstance(value, str) else type(value).__name__


def record_from_keys(
    values: Mapping[str, Any], *, command: BulkCommand, group_id: str | None
) -> TopicRecord:
    """A checked record from the request body's keys; ValidationError naming the key."""
    fields: dict[str, Any] = {}
    for key, value in values.items():
        if key == TYPE_KEY:
            if value != COMMUNITY:
                shown = _shown(value) if isinstance(value, str) else _json_kind(value)
                raise ValidationError(
                    TYPE_KEY,
                    f"Type must be {COMMUNITY!r} (the only type with topics), not {shown}",
                )
            continue
        field = INPUT_KEYS.get(key)
        if field is None:
            raise ValidationError(
                key[:60], f"unknown key {_shown(key)}; the keys are: {_KNOWN_KEYS}"
            )
        if field == "create_time" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValidationError(
                key, f"{key} must be an integer (Unix seconds), not {type(value).__name__}"
            )
        if field != "create_time" and value is not None and not isinstance(value, str):
            raise ValidationError(key, f"{key} must be a string, not {_json_kind(value)}")
        limit = _ID_LIMITS.get(key)
        if isinstance(value, str) and limit is not None:
            size = len(value.encode("utf-8", "surrogatepass"))
            if size > limit:
                raise ValidationError(key, f"{key} is {size} bytes, the limit is {limit}")
        fields[field] = value
    if "group_id" not in fields:
        if group_id is None:
            raise ValidationError("GroupId", "GroupId is missing (give it here or with --group-id)")
        fields["group_id"] = group_id
    if "topic_name" not in fields:
        raise ValidationError("TopicName", "TopicName is missing")
    source_id = fields.pop("source_topic_id", None)
    record = TopicRecord(**fields)
    checked_request(record, command, labels=WIRE_LABELS)
    if source_id is None:
        return record
    return SourcedTopicRecord(
        **fields, source_topic_id=check_source_topic_id(source_id, SOURCE_ID_KEY)
    )


def _decoded(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        column = len(raw[: exc.start].decode("utf-8")) + 1
        raise ValidationError(
            "line", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {column})"
        ) from None


# -- JSON Lines -------------------------------------------------------------------------------


class _DuplicateKeyError(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f"key {_shown(key)} is given twice")
        result[key] = value
    return result


def _json_error(text: str, exc: json.JSONDecodeError) -> str:
    """``not valid JSON: Expecting ',' delimiter at column 57``, the column counted in the
    line (a truncated line's error is at its end, not at "line 2, column 1")."""
    column = exc.pos + 1
    message = exc.msg.removesuffix(" at").removesuffix(":")
    reason = f"not valid JSON: {message} at column {column}"
    if exc.pos >= len(text.rstrip()) or message.startswith("Unterminated string"):
        reason += " (the line ends early: was it cut short?)"
    return reason


def _parse_json_line(text: str, *, command: BulkCommand, group_id: str | None) -> TopicRecord:
    text = text.rstrip("\r\n")
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise ValidationError("line", _json_error(text, exc)) from None
    except _DuplicateKeyError as exc:
        raise ValidationError("line", str(exc)) from None
    except RecursionError:
        raise ValidationError(
            "line", "not a record: the JSON is nested too deeply (a record is one flat object)"
        ) from None
    except ValueError:  # int() refuses a number of over 4300 digits
        raise ValidationError("line", "not a record: a number has over 4300 digits") from None
    if not isinstance(value, dict):
        raise ValidationError("line", f"a line must hold one JSON object, not {_json_kind(value)}")
    return record_from_keys(value, command=command, group_id=group_id)


def _jsonl_records(
    lines: Iterable[_Line], *, command: BulkCommand, group_id: str | None
) -> Iterator[InputLine]:
    index = 0
    for line in lines:
        if line.blank:
            continue
        raw = line.raw
        try:
            if line.overlong:
                raise ValidationError("line", line.too_long())
            # a BOM starts the file (or a file concatenated to it): not data
            text = _decoded(raw.removeprefix(_UTF8_BOM))
            record = _parse_json_line(text, command=command, group_id=group_id)
        except ValidationError as exc:
            yield InputLine(index=index, line=line.number, raw=raw, error=exc.message)
        else:
            yield InputLine(index=index, line=line.number, raw=raw, record=record)
        index += 1


# -- CSV --------------------------------------------------------------------------------------


@attrs.frozen
class _CsvRow:
    line: int
    raw: bytes
    cells: list[str]
    error: str | None = None


def _csv_rows(lines: Iterable[_Line]) -> Iterator[_CsvRow]:
    """CSV rows with their first line number and raw bytes. Bytes that are not UTF-8 are
    kept as lone surrogates, so a bad row is reported rather than stopping the file; a
    line over MAX_LINE_BYTES makes its row bad without being held in memory."""
    buffered: list[_Line] = []
    number = 0

    def text_lines() -> Iterator[str]:
        nonlocal number
        for line in lines:
            number = line.number
            buffered.append(line)
            if line.overlong:
                yield "\n"  # its row is reported as too long; the text is not parsed
                continue
            raw = line.raw
            if number == 1:
                raw = raw.removeprefix(_UTF8_BOM)
            yield raw.decode("utf-8", errors="surrogateescape")

    def take() -> tuple[int, bytes, str | None]:
        first = buffered[0].number if buffered else number
        raw = b"".join(line.raw for line in buffered)
        overlong = next((line for line in buffered if line.overlong), None)
        buffered.clear()
        return first, raw, None if overlong is None else overlong.too_long()

    reader = csv.reader(text_lines(), strict=True)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            first, raw, too_long = take()
            yield _CsvRow(first, raw, [], too_long or f"not valid CSV: {exc}")
            continue
        first, raw, too_long = take()
        if too_long is None and not raw.strip():
            continue
        yield _CsvRow(first, raw, cells, too_long)


def _csv_records(
    lines: Iterable[_Line], *, command: BulkCommand, group_id: str | None
) -> Iterator[InputLine]:
    rows = _csv_rows(lines)
    header_row = next(rows, None)
    if header_row is None:
        return
    header = header_row.cells
    if header_row.error is not None:
        raise InputFormatError(f"line {header_row.line}: the CSV header: {header_row.error}")
    unknown = [key for key in header if key not in INPUT_KEYS and key != TYPE_KEY]
    if unknown or len(set(header)) != len(header):
        problem = f"unknown column {_shown(unknown[0])}" if unknown else "a column is named twice"
        raise InputFormatError(
            f"line {header_row.line}: the CSV header has {problem}; the columns are the request "
            f"body keys: {_KNOWN_KEYS}"
        )
    for index, row in enumerate(rows):
        try:
            if row.error is not None:
                raise ValidationError("line", row.error)
            record = _csv_record(header, row.cells, command=command, group_id=group_id)
        except ValidationError as exc:
            yield InputLine(index=index, line=row.line, raw=row.raw, error=exc.message)
        else:
            yield InputLine(index=index, line=row.line, raw=row.raw, record=record)


def _csv_record(
    header: list[str], cells: list[str], *, command: BulkCommand, group_id: str | None
) -> TopicRecord:
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
                    key, f"CreateTime must be Unix seconds (digits), not {_shown(cell)}"
                )
            if len(cell) > 20:
                raise ValidationError(
                    key, f"CreateTime has {len(cell)} digits; Unix seconds have at most 10"
                )
            values[key] = int(cell)
        else:
            values[key] = cell
    return record_from_keys(values, command=command, group_id=group_id)
