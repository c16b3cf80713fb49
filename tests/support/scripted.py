"""A scripted answer server, for the answers the emulator would never give.

Everything crosses a real socket on loopback; nothing patches aiohttp.
"""

from __future__ import annotations

import contextlib
import inspect
import json
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import attrs
from aiohttp import web


@attrs.define
class Seen:
    """One request the scripted server received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any


Reply = tuple[int, bytes] | Callable[[Seen], Any] | str


def ok(**fields: Any) -> tuple[int, bytes]:
    """An HTTP 200 answer with ErrorCode 0 and the given wire fields."""
    body = {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", **fields}
    return 200, json.dumps(body).encode()


def fail(code: int, info: str = "failed") -> tuple[int, bytes]:
    """An HTTP 200 answer with an error code."""
    body = {"ActionStatus": "FAIL", "ErrorCode": code, "ErrorInfo": info}
    return 200, json.dumps(body).encode()


DROP = "drop"
"""A scripted reply that closes the connection after reading the request, answering nothing."""


class ScriptedServer:
    """A tiny HTTP server that answers from a script and records what it received.

    For the answers the emulator would never give (HTML, truncated JSON, wrong types);
    tests of the service's behaviour use the emulator instead.
    """

    def __init__(self) -> None:
        self.script: deque[Reply] = deque()
        self.default: Reply = ok()
        self.seen: list[Seen] = []
        self.url = ""
        self._serving = contextlib.AsyncExitStack()

    def reply(self, *replies: Reply) -> None:
        self.script.extend(replies)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        seen = Seen(request.method, request.path, dict(request.query), body)
        self.seen.append(seen)
        reply = self.script.popleft() if self.script else self.default
        if callable(reply):
            reply = reply(seen)
            if inspect.isawaitable(reply):
                reply = await reply
        if reply == DROP:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        status, payload = reply
        ctype = "text/html" if payload.lstrip().startswith(b"<") else "application/json"
        return web.Response(status=status, body=payload, content_type=ctype)

    async def start(self) -> None:
        self.url = await self._serving.enter_async_context(serving(answering(self._handle)))

    async def stop(self) -> None:
        await self._serving.aclose()


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def answering(handler: Handler) -> web.Application:
    """An app in which ``handler`` answers every method on every path."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


@contextlib.asynccontextmanager
async def serving(app: web.Application, **runner_options: Any) -> AsyncIterator[str]:
    """``app`` served on a free loopback port for the block; yields its base URL
    (``http://127.0.0.1:PORT``). ``runner_options`` go to :class:`aiohttp.web.AppRunner`."""
    runner = web.AppRunner(app, access_log=None, **runner_options)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
