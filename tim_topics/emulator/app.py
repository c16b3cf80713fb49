"""The :class:`Emulator`: a local server of the five topic commands, with a control API.

It wires the pieces together (backend, UserSig verifier, sliding windows, fault plan,
stats, webhook sink, aiohttp server) and owns their lifetime.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType

from aiohttp import web

from ..models import Topic
from .auth import UserSigVerifier
from .backend import TopicBackend
from .faults import FaultKind, FaultPlan, FaultRates, Stall, check_command
from .hooks import NoWebhooks, TopicEventSink
from .report import stats_json
from .responses import TopicResponses
from .server import RequestPipeline
from .spec import COMMANDS, RATE_LIMIT
from .stats import EmulatorStats, StatsRecorder
from .webhook_sender import WebhookSender
from .window import SlidingWindow

#: Seconds ``stop`` lets calls in progress finish before cancelling them.
SHUTDOWN_GRACE = 2.0


class Emulator:
    """A faithful local server of create/destroy/get/modify/import_topic.

    Use it as an async context manager (or ``await start()`` / ``await stop()``)::

        async with Emulator(sdkappid=1400000000, secret_key=key,
                            groups=["@TGS#_@TGS#cQVLVHIM62CJ"]) as emu:
            ...  # point a client at emu.url

    ``clock`` (monotonic seconds, for the rate windows) and ``wall_clock`` (Unix seconds, for
    UserSig expiry and ``CreateTime``) can be replaced in tests; ``clock`` also times stalls
    and the per-second timelines of :attr:`stats`. ``webhooks`` is a
    :class:`~tim_topics.emulator.hooks.TopicEventSink` of your own (not closed by the
    emulator); ``webhook_url`` makes the emulator send the documented webhooks there.
    """

    def __init__(
        self,
        *,
        sdkappid: int,
        secret_key: str,
        identifier: str = "administrator",
        rate_limit: int = RATE_LIMIT,
        rate_limits: Mapping[str, int] | None = None,
        groups: Iterable[str] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_url: str | None = None,
        webhook_token: str | None = None,
        webhooks: TopicEventSink | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        id_seed: int | None = None,
    ) -> None:
        if isinstance(sdkappid, bool) or not isinstance(sdkappid, int) or sdkappid <= 0:
            raise ValueError(f"sdkappid must be a positive int, got {sdkappid!r}")
        if not isinstance(secret_key, str) or not secret_key:
            raise ValueError("secret_key must be a non-empty str")
        if not isinstance(identifier, str) or not identifier:
            raise ValueError(f"identifier must be a non-empty str, got {identifier!r}")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an int from 0 to 65535, got {port!r}")
        if webhooks is not None and webhook_url is not None:
            raise ValueError("give webhook_url or webhooks, not both")
        if webhook_token is not None and webhook_url is None:
            raise ValueError("webhook_token needs a webhook_url")
        self._sdkappid = sdkappid
        self._identifier = identifier
        self._host = host
        self._port = port
        self._webhook_url = webhook_url
        self._webhook_token = webhook_token
        self._own_sink = webhooks is None
        self._backend = TopicBackend(
            admin_identifier=identifier, wall_clock=wall_clock, id_rng=random.Random(id_seed)
        )
        self._responses = TopicResponses(self._backend)
        for group_id in groups:
            self._backend.add_group(group_id)
        self._windows: dict[str, SlidingWindow] = {
            name: SlidingWindow(rate_limit, clock=clock) for name in COMMANDS
        }
        for command, limit in (rate_limits or {}).items():
            self.set_rate_limit(limit, command=command)
        self._faults = FaultPlan(clock=clock)
        self._stats = StatsRecorder(clock=clock)
        self._pipeline = RequestPipeline(
            sdkappid=sdkappid,
            admin_identifier=identifier,
            verifier=UserSigVerifier(sdkappid=sdkappid, key=secret_key, wall_clock=wall_clock),
            responses=self._responses,
            windows=self._windows,
            faults=self._faults,
            stats=self._stats,
            sink=webhooks or NoWebhooks(),
        )
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    def __repr__(self) -> str:
        where = self._url or "not started"
        return f"Emulator(sdkappid={self._sdkappid}, identifier={self._identifier!r}, url={where})"

    # -- lifetime --------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the server (a free port when ``port`` is 0) and start serving."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        if self._own_sink:
            self._pipeline.sink = self._make_sink()
        runner = web.AppRunner(
            self._pipeline.make_app(stats=lambda: stats_json(self.stats)),
            access_log=None,
            shutdown_timeout=SHUTDOWN_GRACE,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        host, port = runner.addresses[0][:2]
        self._runner = runner
        self._url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def stop(self) -> None:
        """Stop serving and release the webhook sender; the state stays readable."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        try:
            await runner.cleanup()
        finally:
            self._url = None
            if self._own_sink:
                sink, self._pipeline.sink = self._pipeline.sink, NoWebhooks()
                await sink.aclose()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def _make_sink(self) -> TopicEventSink:
        if self._webhook_url is None:
            return NoWebhooks()
        return WebhookSender(
            url=self._webhook_url, sdkappid=self._sdkappid, token=self._webhook_token
        )

    # -- what clients need -----------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>``, while running."""
        if self._url is None:
            raise RuntimeError("the emulator is not running: use 'async with' or start()")
        return self._url

    @property
    def sdkappid(self) -> int:
        return self._sdkappid

    @property
    def identifier(self) -> str:
        """The app admin account requests must name."""
        return self._identifier

    # -- state -----------------------------------------------------------------------------

    @property
    def backend(self) -> TopicResponses:
        """The in-memory state behind the server, served without HTTP or webhooks: one
        method per command takes a request body and gives the answer
        (``emu.backend.import_topic({...})`` seeds a topic); ``emu.backend.backend`` is the
        typed :class:`TopicBackend` itself."""
        return self._responses

    def add_group(self, group_id: str, *, topics: bool = True) -> None:
        """Add a topic-enabled community, or with ``topics=False`` a group whose topic
        commands get 11000."""
        self._backend.add_group(group_id, topics=topics)

    def topics(self, group_id: str) -> list[Topic]:
        """The live topics of ``group_id`` as records, in creation order."""
        return self._backend.topics(group_id)

    # -- rate limits and stats -------------------------------------------------------------

    def set_rate_limit(self, limit: int, *, command: str | None = None) -> None:
        """Calls per sliding second of ``command``, or of every command."""
        for name in COMMANDS if command is None else (check_command(command),):
            self._windows[name].limit = limit

    @property
    def rate_limits(self) -> Mapping[str, int]:
        return {name: window.limit for name, window in self._windows.items()}

    @property
    def stats(self) -> EmulatorStats:
        """A snapshot of the calls, answers, throttling, faults, peak windows, stalled calls
        and per-second timelines so far."""
        windows = self._windows.items()
        return self._stats.snapshot(
            {name: window.peak for name, window in windows},
            {name: window.arrival_peak for name, window in windows},
        )

    def reset_stats(self) -> None:
        """Zero the counts and peaks, and start the timelines from now (the windows keep
        their history)."""
        self._stats.reset()
        for window in self._windows.values():
            window.reset_peak()

    # -- faults ----------------------------------------------------------------------------

    def fail_next(
        self, command: str, code: int = 10002, times: int = 1, kind: FaultKind = "error"
    ) -> None:
        """Make the next ``times`` admitted calls of ``command`` fail: an error answer with
        ``code`` ("error"), a gateway 502 ("http_502"), or a connection closed without an
        answer before the work ("drop_before") or after it ("drop_after")."""
        self._faults.fail_next(command, code=code, times=times, kind=kind)

    def set_faults(
        self,
        rates: FaultRates | None = None,
        /,
        *,
        error_rate: Mapping[int, float] | None = None,
        http_502_rate: float = 0.0,
        drop_before_rate: float = 0.0,
        drop_after_rate: float = 0.0,
        latency_ms: float = 0.0,
        jitter_ms: float = 0.0,
        seed: int | None = None,
        commands: Iterable[str] | None = None,
    ) -> None:
        """Replace the random faults and latency (scripted ones stay): each admitted call
        fails with these probabilities and takes ``latency_ms`` +- ``jitter_ms``; ``seed``
        makes the sequence reproducible; ``commands`` limits them to some commands. Give
        either the keywords or a ready :class:`FaultRates` record."""
        keywords = FaultRates(
            error_rate=error_rate,
            http_502_rate=http_502_rate,
            drop_before_rate=drop_before_rate,
            drop_after_rate=drop_after_rate,
            latency_ms=latency_ms,
            jitter_ms=jitter_ms,
            seed=seed,
            commands=commands,
        )
        if rates is not None and keywords != FaultRates():
            raise ValueError("give set_faults a FaultRates record or keywords, not both")
        self._faults.set_faults(rates if rates is not None else keywords)

    @property
    def faults(self) -> FaultRates:
        """The random faults and latency in force."""
        return self._faults.rates

    def stall(
        self,
        latency_ms: float,
        *,
        seconds: float,
        jitter_ms: float = 0.0,
        after: float = 0.0,
        commands: Iterable[str] | None = None,
    ) -> Stall:
        """Play a service that stalls: calls arriving during the next ``seconds`` (from
        ``after`` seconds from now) take ``latency_ms`` +- ``jitter_ms`` instead of the
        configured latency; after it the configured latency is back. ``commands`` limits it
        to some commands. Replaces a stall already planned; ``stats`` counts the calls that
        took it (``stalled``). ValidationError naming the field for a value out of range
        (milliseconds below 60000, seconds up to a day)."""
        return self._faults.stall(
            latency_ms, seconds=seconds, jitter_ms=jitter_ms, after=after, commands=commands
        )

    @property
    def stall_plan(self) -> Stall | None:
        """The stall to come or in progress, or None."""
        return self._faults.stall_plan

    def end_stall(self) -> None:
        """End the stall now (or cancel a planned one)."""
        self._faults.end_stall()

    def pending_faults(self, command: str) -> int:
        """How many scripted faults of ``command`` are still to come."""
        return self._faults.scripted(check_command(command))

    def clear_faults(self) -> None:
        """Remove every scripted fault, random fault, latency and stall."""
        self._faults.clear()
