"""From a webhook request (query and body) to an event record, for any web framework.

Parsing does not authenticate: run :class:`~tim_topics.webhooks.WebhookVerifier` on the
query first (the :class:`~tim_topics.webhooks.WebhookRouter` does both).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import attrs
import cattrs

from ..wire import converter, wire_name
from .errors import WebhookParseError
from .events import CONTEXT_NAMES, EVENT_TYPES, UnknownWebhook, UserDefinedData, WebhookEvent

#: Context values the query carries as decimal strings.
_INT_CONTEXT = frozenset({"SdkAppid", "RequestTime"})
#: A field segment of a cattrs error path (``$.user_defined_data[0].key``).
_SEGMENT = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)")
#: How deeply a body's JSON may nest. The service's bodies nest 3 levels (an object, its
#: ``UserDefinedDataList`` array, the items); a deeper body is refused before anything
#: walks it recursively (Python's own recursion limit is about 1000).
MAX_BODY_DEPTH = 32


def parse_webhook(query: Mapping[str, str], body: bytes | str | Mapping[str, Any]) -> WebhookEvent:
    """The event for a webhook request.

    ``query`` maps the URL's parameters (``SdkAppid``, ``CallbackCommand``, ...) to
    their string values; ``body`` is the raw body (bytes or str) or the already-decoded
    JSON object. The command is the query's ``CallbackCommand``, else the body's. An
    unknown command gives an :class:`UnknownWebhook`; unknown fields are ignored. Raises
    :class:`WebhookParseError` for a body that is not a JSON object (or nests deeper
    than :data:`MAX_BODY_DEPTH`), no command, or a known field of the wrong type.
    """
    data = _decode_body(body)
    command = query.get("CallbackCommand") or data.get("CallbackCommand")
    if not isinstance(command, str) or not command:
        raise WebhookParseError(
            "webhook has no CallbackCommand (query or body)", field="CallbackCommand"
        )
    context = _context(query)
    event_type = EVENT_TYPES.get(command)
    if event_type is None:
        return UnknownWebhook(command=command, body=data, **context)
    return _structure(event_type, data, context)


def _decode_body(body: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(body, Mapping):
        data: Any = dict(body)
    else:
        try:
            data = json.loads(body)
        except RecursionError:
            raise WebhookParseError(
                f"webhook body nests deeper than {MAX_BODY_DEPTH} levels"
            ) from None
        except (ValueError, TypeError) as exc:  # JSONDecodeError, bad UTF-8, huge numbers
            raise WebhookParseError(f"webhook body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WebhookParseError(f"webhook body must be a JSON object, got {type(data).__name__}")
    if _depth_above(data, MAX_BODY_DEPTH):
        raise WebhookParseError(f"webhook body nests deeper than {MAX_BODY_DEPTH} levels")
    return data


def _depth_above(value: Any, limit: int) -> bool:
    """Whether ``value`` nests objects/arrays more than ``limit`` deep (without recursion,
    so no depth, nor a cycle in a mapping given as the body, can overflow the stack)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _context(query: Mapping[str, str]) -> dict[str, Any]:
    """The context fields from the query, with the numeric ones as ints."""
    context: dict[str, Any] = {}
    for field, name in CONTEXT_NAMES.items():
        value = query.get(name)
        if value is None:
            continue
        if name in _INT_CONTEXT:
            try:
                context[field] = int(value)
            except ValueError:
                raise WebhookParseError(
                    f"query parameter {name} must be an integer, got {value!r}", field=name
                ) from None
        else:
            context[field] = value
    return context


def _structure(
    event_type: type[WebhookEvent], data: dict[str, Any], context: dict[str, Any]
) -> WebhookEvent:
    """``data`` as ``event_type``, with the query's context (the body cannot override it)."""
    fields = {}
    for field in attrs.fields(event_type):
        name = wire_name(event_type, field.name)
        if field.name in context or name not in data:
            continue
        value = data[name]
        if value is None:  # JSON null: the same as absent
            continue
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            value = _as_list(name, value, wrap_string=name == "TopicIdList")
        fields[name] = value
    try:
        event = converter.structure(fields, event_type)
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        raise _parse_error(event_type, exc) from None
    return attrs.evolve(event, **context)


def _parse_error(event_type: type[WebhookEvent], exc: Exception) -> WebhookParseError:
    """A readable error naming the bad fields by their wire names (``$.Name``)."""
    if not isinstance(exc, cattrs.BaseValidationError):
        return WebhookParseError(f"{event_type.COMMAND}: {exc}")
    names = {
        field.name: wire_name(cls, field.name)
        for cls in (event_type, UserDefinedData)
        for field in attrs.fields(cls)
    }
    problems = []
    for message in cattrs.transform_error(exc)[:5]:
        text, _, path = message.rpartition(" @ ")
        path = _SEGMENT.sub(lambda m: "." + names.get(m.group(1), m.group(1)), path)
        problems.append(f"{text} at {path}")
    first = _SEGMENT.search(cattrs.transform_error(exc)[0])
    field = names.get(first.group(1)) if first else None
    return WebhookParseError(f"{event_type.COMMAND}: {'; '.join(problems)}", field=field)


def _as_list(name: str, value: Any, *, wrap_string: bool) -> list[Any]:
    if isinstance(value, list):
        return value
    if wrap_string and isinstance(value, str):
        return [value]
    raise WebhookParseError(
        f"webhook field {name} must be a JSON array, got {type(value).__name__}", field=name
    )
