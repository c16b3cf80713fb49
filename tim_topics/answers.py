"""Decoding the service's answers: JSON bytes -> dict, or the right error.

Whatever the bytes are (HTML from a gateway, truncated JSON, wrong types, a huge body),
the result is a dict with ``ErrorCode == 0``, an :class:`~tim_topics.errors.ApiError`, or
a :class:`~tim_topics.errors.DecodeError`. Never another exception type.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import DecodeError, api_error

MAX_ANSWER_BYTES = 64 * 1024 * 1024
_EXCERPT = 120


def _excerpt(raw: bytes) -> str:
    text = raw[:_EXCERPT].decode("utf-8", "replace")
    return repr(text) + ("..." if len(raw) > _EXCERPT else "")


def decode_answer(raw: bytes, command: str | None = None) -> dict[str, Any]:
    """The answer's JSON object when its ``ErrorCode`` is 0; raises otherwise."""
    if len(raw) > MAX_ANSWER_BYTES:
        raise DecodeError(
            f"{_where(command)}answer is {len(raw)} bytes, over the {MAX_ANSWER_BYTES} accepted",
            command=command,
        )
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise DecodeError(
            f"{_where(command)}answer is not JSON: {_excerpt(raw)}", command=command
        ) from None
    if not isinstance(data, dict):
        raise DecodeError(
            f"{_where(command)}answer is JSON but not an object: {_excerpt(raw)}",
            command=command,
        )
    code = data.get("ErrorCode")
    if type(code) is not int:
        raise DecodeError(
            f"{_where(command)}answer has no integer ErrorCode: {_excerpt(raw)}",
            command=command,
        )
    if code != 0:
        info = data.get("ErrorInfo")
        raise api_error(code, info if isinstance(info, str) else "", command)
    return data


def _where(command: str | None) -> str:
    return f"{command}: " if command else ""
