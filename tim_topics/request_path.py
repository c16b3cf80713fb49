"""One HTTP attempt, from the limiter's token to the answer's bytes.

The order of one attempt, and why it is in that order:

1. **A pool slot.** The attempt first takes a slot of the in-flight gate, a semaphore never
   larger than the connection pool. Holding a slot means a connection is free for it, so
   nothing can make the request wait between its token and its bytes.
2. **The token.** Only then does it wait for the command's limiter. A token therefore means
   "the request leaves now": admitted calls cannot pile up behind the pool and leave
   together (after a slow spell, a limiter placed in front of a bounded pool let one
   sliding second carry 498 calls at a 200/s service).
3. **The request.** Written at once, with no redirect followed (a redirect would be a
   second request without a token, and for a create it would hide whether the first one
   was done). The attempt time-out starts here, after every wait of ours, so it measures
   the service and the network, not our queues.
4. **The send window, then sent or not.** When aiohttp is about to write the request's
   body, the body first waits for room in the command's
   :class:`~tim_topics.send_window.SendWindow`, an exact log of the requests that left in
   the last second: however late the event loop was between the token and the write (a
   busy loop delays the requests of 30 ms and writes them together), no 1.015 s carries
   more than :func:`~tim_topics.send_window.window_cap` of them (199 at 200/s), and what a
   late loop catches up is spread. Once its bytes are written the request is counted at
   that moment instead (a pause between the two would make it arrive later than counted).
   The request counts as sent from the moment it was let in. A
   failure or time-out before it (refused, DNS, TLS, a connect that timed out) is
   ``sent=False``: the service cannot have acted, so even a create without a custom ID is
   safely tried again. (aiohttp's trace signals could mark the moment too, for 15 % of a
   call's CPU.)
5. **The answer, capped.** The body is streamed and reading stops at ``max_answer_bytes``:
   a huge answer costs at most the cap in memory and ends in a :class:`DecodeError`.

The pool is sized by Little's law: each command may have at most ``rate x attempt time-out``
(plus its burst) requests in flight, so a pool of the sum over the commands never makes a
call wait. ``connection_limit`` can make it smaller (fewer sockets), at the cost of
throughput (at most ``connection_limit / latency`` calls per second in all); the gate keeps
the limit exact either way.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterable
from typing import Any, Final

import aiohttp
from aiohttp.payload import BytesPayload
from yarl import URL

from .errors import ClientClosedError, DecodeError, TransportError, WrongEventLoopError
from .limiter import Limiter, bucket_shape
from .metrics import CallLog, ClientMetrics
from .send_window import SendWindow, clock_of, window_cap

#: The largest answer read, in bytes: far above any real answer (a get_topic of a full group
#: is well under 1 MiB), small enough that a hostile or broken server cannot exhaust memory.
DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024
_CHUNK = 64 * 1024
#: The requests' content type, carried by their body (aiohttp sets the header from it).
_CONTENT_TYPE: Final = "application/json"


def pool_size_needed(
    limiter: Limiter, commands: Iterable[str], default_limit: float, timeout: float
) -> int:
    """Connections that let every command run at its limit whatever the latency: for each
    command, its burst plus ``rate x timeout`` (the most that can be in flight when each
    attempt lasts at most ``timeout``), summed. A limiter that tells its ``limit(command)``
    is asked; otherwise ``default_limit`` is assumed."""
    total = 0
    for command in commands:
        burst, rate = bucket_shape(command_limit(limiter, command, default_limit))
        total += burst + math.ceil(rate * timeout)
    return total


def command_limit(limiter: Limiter, command: str, default_limit: float) -> float:
    """The calls per second ``command`` may make: the limiter's, when it says."""
    limit_of = getattr(limiter, "limit", None)
    return float(limit_of(command)) if callable(limit_of) else float(default_limit)


class _WindowedBody(BytesPayload):
    """A request's body that, when aiohttp is about to write it, first waits for room in
    the command's :class:`SendWindow` and marks the request sent: the moment the request's
    bytes leave, on every Python and aiohttp version (on Python 3.11 aiohttp writes a body
    one event-loop turn after it got the connection, so that moment is later than it).
    Once written, the window counts the request at the moment its bytes left (a pause of
    the loop between the count and the write would otherwise hide a late arrival). A body
    written twice (a session's own middleware sending again) is counted twice: the service
    gets two requests."""

    def __init__(
        self,
        value: bytes,
        window: SendWindow,
        clock: Callable[[], float],
        *,
        assume_sent: bool = False,
    ) -> None:
        super().__init__(value, content_type=_CONTENT_TYPE)
        self.window = window
        self.clock = clock
        self.written = False
        """Whether the bytes began to leave (the service may have them)."""
        self.assume_sent = assume_sent
        """Count the request as sent once begun (a session passed in may have middlewares
        of its own, which may have sent it without writing this body)."""

    @property
    def sent(self) -> bool:
        """Whether the request may have reached the service."""
        return self.assume_sent or self.written

    async def write(self, writer: Any) -> None:
        await self.write_with_length(writer, None)

    async def write_with_length(self, writer: Any, content_length: int | None) -> None:
        window, clock = self.window, self.clock
        counted = clock()
        if not window.try_enter(counted):
            counted = await window.enter()
        self.written = True
        await super().write_with_length(writer, content_length)
        window.left_at(counted, clock())


class RequestPath:
    """The client's HTTP session, in-flight gate, limiter and time-out, used by
    :meth:`send`. One per :class:`~tim_topics.client.TopicClient`, bound to the event loop
    that first uses it."""

    def __init__(
        self,
        limiter: Limiter,
        *,
        timeout: float,
        pool_size: int,
        session: aiohttp.ClientSession | None = None,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        metrics: ClientMetrics | None = None,
        default_limit: float = 200,
    ) -> None:
        self.limiter = limiter
        self._default_limit = default_limit
        self._windows: dict[str, SendWindow] = {}
        self.timeout = timeout
        self._client_timeout = aiohttp.ClientTimeout(total=timeout)
        self.max_answer_bytes = max_answer_bytes
        self.metrics = metrics if metrics is not None else ClientMetrics()
        self._session = session
        self._owns_session = session is None
        self._pool_size = pool_size if session is None else _shared_pool_size(session)
        self._gate: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clock: Callable[[], float] = time.monotonic
        self._closed = False

    @property
    def pool_size(self) -> int | None:
        """Connections the pool (and so the in-flight gate) holds; None when unbounded."""
        return self._pool_size

    @property
    def session(self) -> aiohttp.ClientSession | None:
        return self._session

    @property
    def closed(self) -> bool:
        return self._closed

    def open(self) -> aiohttp.ClientSession:
        """The session, made on first use in the running loop, which the path then
        belongs to."""
        if self._closed:
            raise ClientClosedError("this TopicClient is closed")
        session = self._session
        if session is not None and _running_loop() is self._loop:
            return session  # every call after the first
        self._check_loop()
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._pool_size or 0, limit_per_host=0, keepalive_timeout=30
            )
            self._session = aiohttp.ClientSession(connector=connector)
        if self._gate is None and self._pool_size:
            self._gate = asyncio.Semaphore(self._pool_size)
        return self._session

    def window(self, command: str) -> SendWindow:
        """The requests of ``command`` that left in the last :data:`~tim_topics.send_window.PERIOD`
        (with a session passed in too: the body counts them)."""
        window = self._windows.get(command)
        if window is None:
            limit = command_limit(self.limiter, command, self._default_limit)
            window = self._windows[command] = SendWindow(window_cap(limit))
        return window

    def _check_loop(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # called outside a loop (a constructor): nothing is bound yet
        if self._loop is None:
            self._loop = loop
            self._clock = clock_of(loop)
        elif loop is not self._loop:
            raise WrongEventLoopError(
                "this TopicClient belongs to the event loop it was first used in "
                f"({'closed' if self._loop.is_closed() else 'another, still running'}); its "
                "connections and rate limiter cannot move to a second loop. Make one client "
                "per event loop, e.g. create it inside the coroutine you give asyncio.run()"
            )

    async def aclose(self) -> None:
        """Close the session if it is ours (a session passed in stays open for its owner)."""
        if self._closed:
            return
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()

    async def send(self, command: str, url: URL, body: bytes, log: CallLog) -> bytes:
        """One request of ``command``: returns the bytes of a 200 answer, or raises
        :class:`TransportError` (``sent`` says whether the service may have acted).
        ``log`` gets the attempt and the time spent waiting for the token."""
        session = self.open()
        gate = self._gate
        if gate is not None:
            if gate.locked():
                self.metrics.gate_waits += 1
            await gate.acquire()  # a pool slot first (the module doc), then the token
        metrics = self.metrics
        try:
            clock = self._clock
            waited_from = clock()
            await self.limiter.acquire(command)
            log.limiter_wait += clock() - waited_from
            log.attempts += 1
            metrics.requests += 1
            metrics.in_flight += 1
            metrics.max_in_flight = max(metrics.max_in_flight, metrics.in_flight)
            try:
                return await self._request(session, command, url, body)
            finally:
                metrics.in_flight -= 1
        finally:
            if gate is not None:
                gate.release()

    async def _request(
        self,
        session: aiohttp.ClientSession,
        command: str,
        url: URL,
        body: bytes,
    ) -> bytes:
        # A session passed in may have middlewares of its own: its requests count as sent
        # once begun.
        sent = _WindowedBody(
            body, self.window(command), self._clock, assume_sent=not self._owns_session
        )
        try:
            async with session.post(
                url,
                data=sent,
                timeout=self._client_timeout,
                allow_redirects=False,
            ) as response:
                status = response.status
                if status != 200:
                    raise TransportError(
                        _status_message(command, status, url),
                        command=command,
                        status=status,
                        sent=True,
                    )
                return await self._read_capped(response, command)
        except aiohttp.ClientConnectorError as exc:
            raise TransportError(
                f"{command}: cannot connect to {url.host}:{url.port}: {_reason(exc)}",
                command=command,
                sent=False,
            ) from None
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
            where = "for the answer" if sent.sent else "before the request was written"
            raise TransportError(
                f"{command}: no answer within {self.timeout:g} s (timed out {where})",
                command=command,
                sent=sent.sent,
            ) from None
        except aiohttp.ClientError as exc:
            if self._closed:
                raise ClientClosedError("this TopicClient was closed during the call") from None
            raise TransportError(
                f"{command}: connection failed: {type(exc).__name__}: {_reason(exc)}",
                command=command,
                sent=sent.sent,
            ) from None
        except RuntimeError:
            if self._closed or session.closed:
                raise ClientClosedError("this TopicClient was closed during the call") from None
            raise

    async def _read_capped(self, response: aiohttp.ClientResponse, command: str) -> bytes:
        """The body, read in chunks and abandoned past the cap (the connection is then
        closed, not reused)."""
        cap = self.max_answer_bytes
        declared = response.content_length
        if declared is not None and declared > cap:
            raise DecodeError(
                f"{command}: the answer is {declared} bytes, over the {cap} accepted",
                command=command,
            )
        if declared is not None:  # the usual case: read it whole, it fits
            return await response.read()
        raw = bytearray()
        async for chunk in response.content.iter_chunked(_CHUNK):
            raw += chunk
            if len(raw) > cap:
                raise DecodeError(
                    f"{command}: the answer is over the {cap} bytes accepted; "
                    "reading stopped there",
                    command=command,
                )
        return bytes(raw)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _shared_pool_size(session: aiohttp.ClientSession) -> int | None:
    """The pool of a session passed in: the tighter of its limits (0 means unbounded)."""
    connector = session.connector
    if connector is None:
        return None
    limits = [n for n in (connector.limit, connector.limit_per_host) if n]
    return min(limits) if limits else None


def _status_message(command: str, status: int, url: URL) -> str:
    if 300 <= status < 400:
        return (
            f"{command}: HTTP {status} redirect from {url.host}: not followed (a redirect "
            "would send the request again without a rate-limit token, and the first one "
            "may have been done)"
        )
    return (
        f"{command}: HTTP {status} from {url.host} (a gateway or network answer, "
        "not the service's JSON)"
    )


def _reason(exc: BaseException) -> str:
    """An exception's text with anything that looks like a URL query removed (it would hold
    the UserSig)."""
    text = str(exc)
    return text.split("?", 1)[0] if "?" in text else text
