"""The HTTP face of the emulator: one thin aiohttp handler that runs each request through the
service's steps, in this order:

1. path and method: an unknown path gets 60009, a method other than POST 60002;
2. query string (exact, case-sensitive keys): a missing or malformed ``sdkappid``,
   ``identifier``, ``usersig``, ``random`` or ``contenttype=json`` gets 60002, another
   app's ``sdkappid`` 70020, an ``identifier`` that is not the app admin 60010;
3. the UserSig (70001/70003/70009/70013/70014, see :mod:`.auth`);
4. the command's sliding 1-second window: 10006 beyond the limit (not counted);
5. the fault plan: the fault of this call, if any (:mod:`.faults`);
6. latency: the call's processing time (a stall's, if the call arrives during one), slept
   after admission so that arrivals at the window keep their order;
7. the work (:mod:`.responses` reads the body, calls :mod:`.backend` and renders the answer,
   with the app's webhooks), then the answer. A long answer (a get_topic of a whole large
   group) is rendered and encoded a slice per turn of the event loop, so that the windows
   of step 4 keep counting arrivals when they come.

Every JSON answer has HTTP status 200, as the service's do; only an injected gateway fault
gives a 502 (with an HTML page) or a dropped connection. Nothing here logs the query string,
which carries the UserSig.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from aiohttp import web
from multidict import MultiMapping

from .auth import UserSigError, UserSigVerifier
from .errors import ServiceError
from .faults import Fault, FaultPlan
from .hooks import TopicEventSink
from .responses import TopicResponses, encode_answer, error_answer
from .spec import (
    ADMIN_REQUIRED,
    HTTP_PARSE_ERROR,
    RATE_LIMITED,
    RESOURCE_ERROR,
    ROUTES,
    SDKAPPID_NOT_FOUND,
    UINT32_MAX,
)
from .stats import CommandCounters, StatsRecorder
from .window import SlidingWindow

#: Where the emulator shows its stats as JSON (GET; outside /v4, so no command is there).
STATS_PATH: Final = "/stats"

BAD_GATEWAY_PAGE: Final = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def json_response(answer: Mapping[str, Any], *, body: bytes | None = None) -> web.Response:
    """``answer`` as the service's JSON (``body``: its bytes, when already encoded)."""
    if body is None:
        body = json.dumps(answer, ensure_ascii=False).encode("utf-8")
    return web.Response(body=body, content_type="application/json")


def _single(query: MultiMapping[str], key: str) -> str:
    values = query.getall(key, [])
    if len(values) != 1:
        problem = "is missing" if not values else "is given more than once"
        raise ServiceError(HTTP_PARSE_ERROR, f"query parameter {key!r} {problem}")
    return values[0]


def _decimal(query: MultiMapping[str], key: str, *, maximum: int) -> int:
    text = _single(query, key)
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        raise ServiceError(
            HTTP_PARSE_ERROR, f"query parameter {key!r} must be a decimal integer, got {text!r}"
        )
    value = int(text)
    if value > maximum:
        raise ServiceError(
            HTTP_PARSE_ERROR, f"query parameter {key!r} is {value}, above the maximum {maximum}"
        )
    return value


class RequestPipeline:
    """Runs one request through the service's steps (see the module docstring)."""

    def __init__(
        self,
        *,
        sdkappid: int,
        admin_identifier: str,
        verifier: UserSigVerifier,
        responses: TopicResponses,
        windows: Mapping[str, SlidingWindow],
        faults: FaultPlan,
        stats: StatsRecorder,
        sink: TopicEventSink,
    ) -> None:
        self.sdkappid = sdkappid
        self.admin_identifier = admin_identifier
        self.verifier = verifier
        self.responses = responses
        self.windows = windows
        self.faults = faults
        self.stats = stats
        self.sink = sink

    def make_app(self, *, stats: Callable[[], Mapping[str, Any]] | None = None) -> web.Application:
        """The aiohttp app: ``GET /stats`` answers ``stats()`` as JSON (when given), every
        other request goes through :meth:`handle`."""
        app = web.Application()
        if stats is not None:
            show = stats

            async def show_stats(request: web.Request) -> web.Response:
                return json_response(show())

            app.router.add_get(STATS_PATH, show_stats, allow_head=False)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        command = ROUTES.get(request.path)
        if command is None:
            self.stats.unrouted += 1
            return json_response(
                error_answer(
                    RESOURCE_ERROR, f"request resource error: {request.path!r} is not a command"
                )
            )
        counters = self.stats.commands[command]
        counters.calls += 1
        try:
            if request.method != "POST":
                raise ServiceError(
                    HTTP_PARSE_ERROR, f"HTTP method {request.method} is not allowed: use POST"
                )
            self._check_query(request.query)
        except ServiceError as exc:
            return self._answer(counters, error_answer(exc.code, exc.info))
        except UserSigError as exc:
            return self._answer(counters, error_answer(exc.code, exc.info))

        admitted = self.windows[command].try_admit()
        self.stats.arrived(counters, admitted=admitted)
        if not admitted:
            counters.rate_limited += 1
            return self._answer(
                counters,
                error_answer(RATE_LIMITED, f"{command} is over its frequency limit, try later"),
            )
        counters.admitted += 1
        try:
            # Read the body before the service's processing time: a client that gives up
            # during it does not undo work the service has already been handed.
            raw = await request.read()
        except ConnectionError:
            return web.Response(status=400)  # the client left before sending its body
        fault = self.faults.draw(command)
        timing = self.faults.timing(command)
        if timing.stalled:
            counters.stalled += 1
        if timing.seconds > 0:
            await asyncio.sleep(timing.seconds)
        if fault is not None and fault.kind != "drop_after":
            return self._inject(request, counters, fault)

        outcome = await self.responses.respond(command, raw, self.sink)
        if fault is not None:  # drop_after: the work is done, the answer is lost
            counters.dropped_after += 1
            return _drop(request)
        body = await encode_answer(outcome.answer)  # a long one in turns (ITEMS_PER_TURN)
        return self._answer(counters, outcome.answer, body=body)

    def _check_query(self, query: MultiMapping[str]) -> None:
        sdkappid = _decimal(query, "sdkappid", maximum=2**63 - 1)
        if sdkappid != self.sdkappid:
            raise ServiceError(SDKAPPID_NOT_FOUND, f"SDKAppID {sdkappid} is not found")
        identifier = _single(query, "identifier")
        usersig = _single(query, "usersig")
        if not usersig:
            raise ServiceError(HTTP_PARSE_ERROR, "query parameter 'usersig' is empty")
        _decimal(query, "random", maximum=UINT32_MAX)
        content_type = _single(query, "contenttype")
        if content_type != "json":
            raise ServiceError(
                HTTP_PARSE_ERROR,
                f"query parameter 'contenttype' must be 'json', got {content_type!r}",
            )
        if identifier != self.admin_identifier:
            raise ServiceError(
                ADMIN_REQUIRED,
                f"this request requires the app admin account; {identifier!r} is not an admin",
            )
        self.verifier.verify(usersig, identifier=identifier, sdkappid=sdkappid)

    def _inject(
        self, request: web.Request, counters: CommandCounters, fault: Fault
    ) -> web.StreamResponse:
        if fault.kind == "error":
            counters.injected_errors += 1
            return self._answer(
                counters, error_answer(fault.code, f"error {fault.code} injected by the emulator")
            )
        if fault.kind == "http_502":
            counters.http_502 += 1
            return web.Response(status=502, text=BAD_GATEWAY_PAGE, content_type="text/html")
        counters.dropped_before += 1
        return _drop(request)

    @staticmethod
    def _answer(
        counters: CommandCounters, answer: Mapping[str, Any], *, body: bytes | None = None
    ) -> web.Response:
        counters.answered(answer["ErrorCode"])
        return json_response(answer, body=body)


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection without answering: the client sees a disconnect. The response
    returned is never sent (aiohttp finds the transport closed and lets the request go)."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=204)
