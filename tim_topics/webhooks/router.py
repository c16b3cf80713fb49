"""Receiving webhooks: authenticate, parse, call the app's handlers, answer in time.

The service waits 2 s for an answer and never retries a before-event webhook; a failed
one (no answer, non-200, not JSON) counts as "allow". So the router always answers
within ``handler_timeout`` (1.5 s by default), whatever the handlers do: they run in a
task of their own, and the answer does not wait for it past the budget. A handler that
raises (anything, ``asyncio.CancelledError`` included) is logged and counts as
:class:`Allow`; handlers still running near the end of the budget are cancelled, get
the rest of it (:data:`CANCEL_GRACE`) to clean up, and are answered :class:`Allow`, the
service's own default. A clean-up that takes longer (a ``finally:`` that awaits) goes
on in the background: the router keeps a reference to it, and :meth:`WebhookRouter.aclose`
(or :meth:`WebhookRouter.on_cleanup` in an aiohttp app) cancels and awaits what is left.
Only a request that is not authentic (401/403) or not usable (400: not JSON, too deeply
nested, wrong field types, ...) is answered otherwise, and then no handler is called.

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

from aiohttp import web

from .errors import WebhookAuthError, WebhookParseError
from .events import WebhookEvent
from .parsing import parse_webhook
from .signing import DEFAULT_MAX_SKEW, WebhookVerifier
from .verdicts import Allow, Refuse, Verdict, answer_body

logger = logging.getLogger("tim_topics.webhooks")

E = TypeVar("E", bound=WebhookEvent)
R = TypeVar("R")

#: The end of the budget kept for cancelled handlers to clean up: this share of
#: ``handler_timeout``, at most :data:`MAX_CANCEL_GRACE` seconds.
CANCEL_GRACE: Final = 0.1
MAX_CANCEL_GRACE: Final = 0.2
#: How long :meth:`WebhookRouter.aclose` waits for cancelled handlers, seconds.
CLOSE_TIMEOUT: Final = 5.0


Handler = Callable[[Any], Awaitable[Any]]


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
        self._running: set[asyncio.Task[Verdict]] = set()

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

    @property
    def pending(self) -> int:
        """How many requests' handlers are still running (cancelled ones finishing their
        clean-up in the background included)."""
        return sum(not task.done() for task in self._running)

    async def aclose(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Cancel the handlers still running and wait up to ``timeout`` s for them; one
        that will not stop is abandoned with a warning."""
        tasks = [task for task in self._running if not task.done()]
        for task in tasks:
            task.cancel()
        if not tasks:
            return
        _, stuck = await asyncio.wait(tasks, timeout=timeout)
        if stuck:
            logger.warning(
                "webhook router closed: %d handler run(s) did not stop within %.3g s",
                len(stuck),
                timeout,
            )

    async def on_cleanup(self, app: web.Application) -> None:
        """For ``app.on_cleanup.append(router.on_cleanup)``: :meth:`aclose` when the
        aiohttp app stops."""
        await self.aclose()

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp handler: ``app.router.add_post("/tim/callback", router.handle)``."""
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            logger.warning("webhook refused: body larger than %s bytes", request.client_max_size)
            return web.json_response(_failure_body(400, "webhook body is too large"), status=400)
        status, answer = await self.dispatch(request.query, body)
        return web.json_response(answer, status=status)

    async def dispatch(
        self, query: Mapping[str, str], body: bytes | str | Mapping[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Authenticate, parse and handle one webhook: the HTTP status and JSON to answer."""
        try:
            self.verifier.verify(query)
        except WebhookAuthError as exc:
            logger.warning("%s (CallbackCommand %r)", exc, query.get("CallbackCommand"))
            return exc.status, _failure_body(exc.status, str(exc))
        except Exception:  # a query no check foresaw: never a 500
            logger.exception("webhook refused: its query could not be checked")
            return 400, _failure_body(400, "webhook query could not be read")
        try:
            event = parse_webhook(query, body)
        except WebhookParseError as exc:
            logger.warning("webhook refused: %s", exc)
            return 400, _failure_body(400, str(exc))
        except Exception:  # a body no check foresaw: never a 500
            logger.exception("webhook refused: its body could not be read")
            return 400, _failure_body(400, "webhook body could not be read")
        return 200, answer_body(await self._run_handlers(event))

    async def _run_handlers(self, event: WebhookEvent) -> Verdict:
        handlers = [h for klass in type(event).__mro__ for h in self._handlers.get(klass, [])]
        if not handlers:
            return Allow()
        command = _command_of(event)
        run = _Run()
        task = asyncio.ensure_future(self._call_in_order(handlers, event, command, run))
        self._running.add(task)
        task.add_done_callback(self._finished)
        grace = min(self.handler_timeout * CANCEL_GRACE, MAX_CANCEL_GRACE)
        try:
            done, _ = await asyncio.wait({task}, timeout=self.handler_timeout - grace)
            if not done:
                run.stopping = True
                task.cancel()
                done, _ = await asyncio.wait({task}, timeout=grace)
        except BaseException:  # this request was cancelled: so are its handlers
            run.stopping = True
            task.cancel()
            raise
        if not done or task.cancelled():
            logger.warning(
                "webhook %s: handlers took longer than %.3g s; cancelled%s, answered Allow",
                command,
                self.handler_timeout,
                "" if done else " (their clean-up goes on in the background)",
            )
            return Allow()
        failure = task.exception()
        if failure is not None:  # only what no handler should raise (see _call_in_order)
            logger.error("webhook %s: handlers failed (%r); answered Allow", command, failure)
            return Allow()
        return task.result()

    def _finished(self, task: asyncio.Task[Verdict]) -> None:
        self._running.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: _call_in_order catches what handlers raise

    async def _call_in_order(
        self, handlers: list[Handler], event: WebhookEvent, command: str, run: _Run
    ) -> Verdict:
        wants_verdict = ".CallbackBefore" in command
        for handler in handlers:
            if run.stopping:  # a handler swallowed the cancellation: call no more
                break
            try:
                result = handler(event)
                if inspect.isawaitable(result):
                    result = await result
            except asyncio.CancelledError:
                if run.stopping:  # the router cancelled it: stop here
                    raise
                # the handler's own (it awaited something cancelled): a failure like any
                logger.exception(
                    "webhook %s: handler %s was cancelled; counted as Allow",
                    command,
                    getattr(handler, "__qualname__", repr(handler)),
                )
                continue
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


class _Run:
    """One request's handler run: ``stopping`` once the router cancels it."""

    stopping = False


def _command_of(event: WebhookEvent) -> str:
    command = getattr(event, "command", None)
    return command if isinstance(command, str) else event.COMMAND
