"""Receiving webhooks: authenticate, parse, call the app's handlers, answer in time.

The service waits 2 s for an answer and never retries a before-event webhook; a failed
one (no answer, non-200, not JSON) counts as "allow". So the router always answers
within ``handler_timeout`` (1.5 s by default): a handler that is slower is cancelled, a
handler that raises is logged, and either way the answer is :class:`Allow`, the
service's own default. Only a request that is not authentic (401/403) or not readable
(400) is answered otherwise, and then no handler is called.

Several handlers may be registered for one event type. They run one after another, in
the order they were registered, within one shared budget; handlers registered for
:class:`WebhookEvent` get every event, after those of its own type. For
:class:`BeforeCreateTopic`
the first handler that returns :class:`Refuse` decides (later ones are not called); if
none refuses the answer is :class:`Allow`; the same holds for an
:class:`UnknownWebhook` whose command is a ``CallbackBefore...`` one. The return values of
after-event handlers are ignored.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, TypeVar

import attrs
from aiohttp import web

from .errors import WebhookAuthError, WebhookParseError
from .events import WebhookEvent
from .parsing import parse_webhook
from .signing import DEFAULT_MAX_SKEW, WebhookVerifier

logger = logging.getLogger("tim_topics.webhooks")

E = TypeVar("E", bound=WebhookEvent)
R = TypeVar("R")

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
Handler = Callable[[Any], Awaitable[Any]]


def answer_body(verdict: Verdict) -> dict[str, Any]:
    """The JSON a webhook is answered with."""
    if isinstance(verdict, Refuse):
        return {"ActionStatus": "OK", "ErrorCode": verdict.code, "ErrorInfo": verdict.info}
    return {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}


def _failure_body(status: int, info: str) -> dict[str, Any]:
    return {"ActionStatus": "FAIL", "ErrorCode": status, "ErrorInfo": info}


class WebhookRouter:
    """Routes the service's webhooks to the app's handlers.

    ``sdkappid`` is the app's own (requests for another app get 403); ``token`` is the
    console's webhook token, or None when authentication is not enabled.
    ``handler_timeout`` is the budget of all handlers of one request (keep it below the
    service's 2 s); ``max_skew`` how far ``RequestTime`` may be from ``clock()``.

    Use :meth:`handle` as an aiohttp handler, or :meth:`dispatch` from any framework.
    """

    def __init__(
        self,
        sdkappid: int,
        token: str | None = None,
        *,
        handler_timeout: float = 1.5,
        max_skew: float = DEFAULT_MAX_SKEW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not handler_timeout > 0:
            raise ValueError(f"handler_timeout must be > 0 seconds, got {handler_timeout!r}")
        self.verifier: Final = WebhookVerifier(
            sdkappid=sdkappid, token=token, max_skew=max_skew, clock=clock
        )
        self.handler_timeout: Final = handler_timeout
        self._handlers: dict[type[WebhookEvent], list[Handler]] = {}

    def __repr__(self) -> str:
        return f"WebhookRouter(sdkappid={self.verifier.sdkappid})"

    def on(
        self, event_type: type[E]
    ) -> Callable[[Callable[[E], Awaitable[R]]], Callable[[E], Awaitable[R]]]:
        """Decorator: call the async function for every ``event_type`` webhook."""

        def register(handler: Callable[[E], Awaitable[R]]) -> Callable[[E], Awaitable[R]]:
            self.add_handler(event_type, handler)
            return handler

        return register

    def add_handler(self, event_type: type[E], handler: Callable[[E], Awaitable[Any]]) -> None:
        """Call the async ``handler`` for every ``event_type`` webhook (after the ones
        already registered for it)."""
        if not (isinstance(event_type, type) and issubclass(event_type, WebhookEvent)):
            raise TypeError(f"event_type must be a webhook event class, got {event_type!r}")
        if not callable(handler):
            raise TypeError(f"handler must be an async function, got {handler!r}")
        self._handlers.setdefault(event_type, []).append(handler)

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp handler: ``app.router.add_post("/tim/callback", router.handle)``."""
        status, body = await self.dispatch(request.query, await request.read())
        return web.json_response(body, status=status)

    async def dispatch(
        self, query: Mapping[str, str], body: bytes | str | Mapping[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Authenticate, parse and handle one webhook: the HTTP status and JSON to answer."""
        try:
            self.verifier.verify(query)
        except WebhookAuthError as exc:
            logger.warning("%s (CallbackCommand %r)", exc, query.get("CallbackCommand"))
            return exc.status, _failure_body(exc.status, str(exc))
        try:
            event = parse_webhook(query, body)
        except WebhookParseError as exc:
            logger.warning("webhook refused: %s", exc)
            return 400, _failure_body(400, str(exc))
        return 200, answer_body(await self._run_handlers(event))

    async def _run_handlers(self, event: WebhookEvent) -> Verdict:
        handlers = [h for klass in type(event).__mro__ for h in self._handlers.get(klass, [])]
        if not handlers:
            return Allow()
        command = _command_of(event)
        try:
            return await asyncio.wait_for(
                self._call_in_order(handlers, event, command), self.handler_timeout
            )
        except asyncio.TimeoutError:
            logger.warning(
                "webhook %s: handlers took longer than %.3g s; cancelled, answered Allow",
                command,
                self.handler_timeout,
            )
            return Allow()

    async def _call_in_order(
        self, handlers: list[Handler], event: WebhookEvent, command: str
    ) -> Verdict:
        wants_verdict = ".CallbackBefore" in command
        for handler in handlers:
            try:
                result = handler(event)
                if inspect.isawaitable(result):
                    result = await result
            except Exception:
                logger.exception(
                    "webhook %s: handler %s raised; counted as Allow",
                    command,
                    getattr(handler, "__qualname__", repr(handler)),
                )
                continue
            if not wants_verdict:
                continue
            if isinstance(result, Refuse):
                return result
            if result is not None and not isinstance(result, Allow):
                logger.warning(
                    "webhook %s: handler %s returned %r, not Allow or Refuse; counted as Allow",
                    command,
                    getattr(handler, "__qualname__", repr(handler)),
                    type(result).__name__,
                )
        return Allow()


def _command_of(event: WebhookEvent) -> str:
    command = getattr(event, "command", None)
    return command if isinstance(command, str) else event.COMMAND
