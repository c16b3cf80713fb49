"""JSON Lines input: one JSON object per line, with the request body's keys.

A bad line never stops the reading, whatever it holds (broken or deeply nested JSON, keys
given twice, a number of thousands of digits); a file that is one JSON array or
pretty-printed JSON is refused as a whole, with the command that converts it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, Final

from ..errors import ValidationError
from ..models import TopicRecord
from .input_keys import decoded, json_kind, record_from_keys, shown
from .input_lines import UTF8_BOM, InputFormatError, InputLine, Line
from .record_checks import BulkCommand

JSONL_HINT: Final = "JSON Lines is expected: one whole JSON object per line"


def check_first_record_line(first: Line, name: str) -> None:
    """InputFormatError when the first non-blank line starts a JSON array (of records) or
    a pretty-printed object: the file is JSON, not JSON Lines."""
    text = first.raw.removeprefix(UTF8_BOM).strip()
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


class _DuplicateKeyError(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f"key {shown(key)} is given twice")
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
        raise ValidationError("line", f"a line must hold one JSON object, not {json_kind(value)}")
    return record_from_keys(value, command=command, group_id=group_id)


def jsonl_records(
    lines: Iterable[Line], *, command: BulkCommand, group_id: str | None
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
            text = decoded(raw.removeprefix(UTF8_BOM))
            record = _parse_json_line(text, command=command, group_id=group_id)
        except ValidationError as exc:
            yield InputLine(index=index, line=line.number, raw=raw, error=exc.message)
        else:
            yield InputLine(index=index, line=line.number, raw=raw, record=record)
        index += 1
