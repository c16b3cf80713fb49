"""What a webhook handler answers: :class:`Allow` or :class:`Refuse`, and the JSON body each
becomes. Framework-free (no aiohttp.web), so apps on any framework can use it."""

from __future__ import annotations

from typing import Any, Final

import attrs

#: Codes a refusal may carry: 1 (the caller gets 10016) or 10100..10200 (passed on).
REFUSAL_CODES: Final = range(10100, 10201)


@attrs.frozen
class Allow:
    """Let the operation go ahead (``ErrorCode`` 0)."""


def _refusal_code(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or not (value == 1 or value in REFUSAL_CODES):
        raise ValueError(f"Refuse.{attribute.name} must be 1 or in 10100..10200, got {value!r}")


@attrs.frozen(kw_only=True)
class Refuse:
    """Stop the operation. ``code=1`` gives the caller the service's 10016; a code in
    10100..10200 is passed to the caller together with ``info``."""

    code: int = attrs.field(default=1, validator=_refusal_code)
    info: str = attrs.field(default="", validator=attrs.validators.instance_of(str))


Verdict = Allow | Refuse


def answer_body(verdict: Verdict) -> dict[str, Any]:
    """The JSON a webhook is answered with."""
    if isinstance(verdict, Refuse):
        return {"ActionStatus": "OK", "ErrorCode": verdict.code, "ErrorInfo": verdict.info}
    return {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}
