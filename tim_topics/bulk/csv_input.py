"""CSV input: a header of the request body's keys, then one record per row.

Bytes that are not UTF-8 are kept as lone surrogates, so a bad row is reported rather than
stopping the file; an empty cell is an absent optional value; unknown or repeated columns
refuse the file as a whole.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from ..errors import ValidationError
from ..models import TopicRecord
from .input_keys import INPUT_KEYS, KNOWN_KEYS, TYPE_KEY, record_from_keys, shown
from .input_lines import UTF8_BOM, InputFormatError, InputLine, Line
from .record_checks import BulkCommand


@attrs.frozen
class _CsvRow:
    line: int
    raw: bytes
    cells: list[str]
    error: str | None = None


def csv_rows(lines: Iterable[Line]) -> Iterator[_CsvRow]:
    """CSV rows with their first line number and raw bytes. Bytes that are not UTF-8 are
    kept as lone surrogates, so a bad row is reported rather than stopping the file; a
    line over MAX_LINE_BYTES makes its row bad without being held in memory."""
    buffered: list[Line] = []
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
                raw = raw.removeprefix(UTF8_BOM)
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


def csv_records(
    lines: Iterable[Line], *, command: BulkCommand, group_id: str | None
) -> Iterator[InputLine]:
    rows = csv_rows(lines)
    header_row = next(rows, None)
    if header_row is None:
        return
    header = header_row.cells
    if header_row.error is not None:
        raise InputFormatError(f"line {header_row.line}: the CSV header: {header_row.error}")
    unknown = [key for key in header if key not in INPUT_KEYS and key != TYPE_KEY]
    if unknown or len(set(header)) != len(header):
        problem = f"unknown column {shown(unknown[0])}" if unknown else "a column is named twice"
        raise InputFormatError(
            f"line {header_row.line}: the CSV header has {problem}; the columns are the request "
            f"body keys: {KNOWN_KEYS}"
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
                    key, f"CreateTime must be Unix seconds (digits), not {shown(cell)}"
                )
            if len(cell) > 20:
                raise ValidationError(
                    key, f"CreateTime has {len(cell)} digits; Unix seconds have at most 10"
                )
            values[key] = int(cell)
        else:
            values[key] = cell
    return record_from_keys(values, command=command, group_id=group_id)
