"""The request path at a distance: pool slot before token, the time-out measuring only the
service, sent-ness, redirects, the answer cap and the event loop a client belongs to.

Everything crosses a real socket on loopback; slow services are the emulator's latency or a
small aiohttp server that sleeps. No assertion is on elapsed time.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import warnings
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from support.constants import ADMIN, GROUP, SDKAPPID, SECRET
from support.emulator_process import emulator_process
from support.scripted import ScriptedServer, answering, fail, ok, serving

from tim_topics import (
    DecodeError,
    OutcomeUnknownError,
    RetryPolicy,
    ServerError,
    TimTopicsError,
    TopicClient,
    TransportError,
    UndecodedOutcomeError,
    ValidationError,
    WrongEventLoopError,
)
from tim_topics.emulator import Emulator
from tim_topics.limiter import LocalLimiter
from tim_topics.messages import CreateTopicRequest
from tim_topics.request_path import pool_size_needed

FAST = RetryPolicy(max_attempts=3, max_total=10.0, initial_wait=0.001, max_wait=0.01)
CUSTOM = GROUP + "@TOPIC#_news"


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(
        sdkappid=SDKAPPID, secret_key=SECRET, identifier=ADMIN, groups=[GROUP]
    ) as emulator:
        yield emulator


class SlowServer:
    """Answers every request after ``delay`` seconds; counts what arrived."""

    def __init__(self, delay: float, reply: web.Response | None = None) -> None:
        self.delay = delay
        self.arrived = 0
        self.url = ""
        self._serving = contextlib.AsyncExitStack()

    async def _handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.arrived += 1
        number = self.arrived
        await asyncio.sleep(self.delay)
        return web.json_response({"ErrorCode": 0, "ErrorInfo": "", "TopicId": f"t{number}"})

    async def __aenter__(self) -> SlowServer:
        self.url = await self._serving.enter_async_context(serving(answering(self._handle)))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._serving.aclose()


@pytest.mark.asyncio
async def test_requests_say_they_are_json() -> None:
    """The body carries the content type; aiohttp sets the header from it."""
    content_types: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        content_types.append(request.headers.get("Content-Type", ""))
        return web.json_response({"ErrorCode": 0, "ErrorInfo": "", "TopicId": "t1"})

    async with (
        serving(answering(handle)) as url,
        TopicClient(SDKAPPID, ADMIN, SECRET, base_url=url) as client,
    ):
        await client.create_topic(GROUP, "t")
    assert content_types == ["application/json"]


def refused_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the pool: a token means the request leaves now -------------------------------------


def test_the_default_pool_is_what_the_limits_need_at_any_latency() -> None:
    client = TopicClient(SDKAPPID, ADMIN, SECRET, base_url="http://127.0.0.1:1")
    # each of the five commands: burst 2 + 196.02/s x 6 s time-out
    assert client.connection_pool_size == 5 * (2 + 1177)
    per_command = LocalLimiter(200, per_command={"get_topic": 50})
    needed = pool_size_needed(per_command, ["create_topic", "get_topic"], 200, 6.0)
    assert needed == (2 + 1177) + (1 + 292)  # a limit of 50: burst 1 at 48.51/s, x 6 s
    smaller = TopicClient(SDKAPPID, ADMIN, SECRET, base_url="http://127.0.0.1:1", timeout=1.0)
    assert smaller.connection_pool_size == 5 * (2 + 197)
    capped = TopicClient(SDKAPPID, ADMIN, SECRET, base_url="http://x:1", connection_limit=7)
    assert capped.connection_pool_size == 7


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_connection_limit_is_checked(bad: object) -> None:
    with pytest.raises(ValidationError, match="connection_limit") as caught:
        TopicClient(SDKAPPID, ADMIN, SECRET, base_url="http://x:1", connection_limit=bad)  # type: ignore[arg-type]
    assert caught.value.field == "connection_limit"


@pytest.mark.asyncio
async def test_a_shared_sessions_pool_becomes_the_gate() -> None:
    async with SlowServer(0.05) as server:
        connector = aiohttp.TCPConnector(limit=3)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with TopicClient(
                SDKAPPID, ADMIN, SECRET, base_url=server.url, session=session, retry=FAST
            ) as client:
                assert client.connection_pool_size == 3
                await asyncio.gather(*(client.get_topic(GROUP) for _ in range(12)))
                assert client.metrics.max_in_flight <= 3
                assert client.metrics.gate_waits > 0


@pytest.mark.asyncio
async def test_waiting_for_a_connection_does_not_count_against_the_timeout() -> None:
    """Two connections, eight creates without custom IDs, each answered after 0.25 s: the
    last ones wait about 0.75 s for a connection, longer than the 0.4 s time-out. That wait
    is ours, not the service's: every create succeeds, once."""
    async with SlowServer(0.25) as server:
        async with TopicClient(
            SDKAPPID,
            ADMIN,
            SECRET,
            base_url=server.url,
            timeout=0.4,
            connection_limit=2,
            retry=FAST,
        ) as client:
            ids = await asyncio.gather(*(client.create_topic(GROUP, "t") for _ in range(8)))
            assert client.metrics.gate_waits > 0
            assert client.metrics.max_in_flight <= 2
            assert client.metrics.requests == 8
    assert server.arrived == 8
    assert len(set(ids)) == 8


@pytest.mark.asyncio
async def test_a_stall_under_the_service_timeout_loses_no_create() -> None:
    """The service answers in 2-2.5 s (under its 3 s time-out); 300 creates without custom
    IDs at once, with the client as users make it: all succeed, exactly 300 topics.

    The emulator is the ``tim-topics emulator`` command, in a process of its own as a
    service would be. On a thread of this process it shared the client's interpreter lock:
    once in many runs it stamped a burst of arrivals late and together, and counted 211
    in a second from a client that had kept the limit."""
    stall = ("--latency-ms", "2250", "--jitter-ms", "250", "--seed", "7")
    async with emulator_process(stall) as far:
        async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=far.url) as client:
            results = await asyncio.gather(
                *(client.create_topic(GROUP, f"t{i}") for i in range(300)),
                return_exceptions=True,
            )
            assert client.metrics.gate_waits == 0
            got = await client.get_topic(GROUP)
        stats = await far.stats()
    topics = [result.topic for result in got if result.topic is not None]
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert sorted(t.topic_name for t in topics) == sorted(f"t{i}" for i in range(300))
    assert sorted(t.topic_id for t in topics) == sorted(r for r in results if isinstance(r, str))
    assert stats["commands"]["create_topic"]["calls"] == 300
    assert stats["commands"]["create_topic"]["peak_arrivals"] <= 200
    assert stats["rate_limited"] == 0


@pytest.mark.asyncio
async def test_no_pile_up_after_a_slow_spell(emu: Emulator) -> None:
    """A small pool (10) at 0.5 s carries 20 calls/s while the limit is 50/s. When the
    service turns fast again, calls must not leave together: a limiter in front of the
    pool would have admitted about 50/s all along and released them in one burst."""
    emu.set_rate_limit(50)
    emu.set_faults(latency_ms=500)

    async def end_the_spell() -> None:
        await asyncio.sleep(1.5)
        emu.clear_faults()

    async with TopicClient(
        SDKAPPID, ADMIN, SECRET, base_url=emu.url, rate_limit=50, connection_limit=10
    ) as client:
        spell = asyncio.create_task(end_the_spell())
        await asyncio.gather(*(client.get_topic(GROUP) for _ in range(150)))
        await spell
        waits = client.metrics.gate_waits
    stats = emu.stats["get_topic"]
    assert stats.calls == 150
    assert stats.peak_arrivals <= 50
    assert stats.rate_limited == 0
    assert waits > 0  # the small pool did bind


@pytest.mark.asyncio
async def test_five_commands_at_a_distance_never_wait_for_a_connection(emu: Emulator) -> None:
    emu.set_rate_limit(50)
    emu.set_faults(latency_ms=300, jitter_ms=50)
    async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=emu.url, rate_limit=50) as client:
        made = await asyncio.gather(*(client.create_topic(GROUP, f"m{i}") for i in range(120)))
        await asyncio.gather(
            *(client.create_topic(GROUP, f"c{i}") for i in range(40)),
            *(client.import_topic(GROUP, f"i{i}", create_time=1448357837) for i in range(40)),
            *(client.get_topic(GROUP, topic_ids=[t]) for t in made[:40]),
            *(client.modify_topic(GROUP, t, notification="n") for t in made[40:80]),
            *(client.destroy_topic(GROUP, [t]) for t in made[80:]),
        )
        assert client.metrics.gate_waits == 0
    for command in ("create_topic", "import_topic", "get_topic", "modify_topic", "destroy_topic"):
        assert emu.stats[command].peak_arrivals <= 50, command
    assert emu.stats.rate_limited == 0


# -- redirects ------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def redirecting() -> AsyncIterator[tuple[str, list[str]]]:
    """A server that answers every request with 307 to a port that refuses connections."""
    hits: list[str] = []
    target = f"http://127.0.0.1:{refused_port()}/v4/elsewhere"

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        hits.append(request.path)
        return web.Response(status=307, headers={"Location": target})

    async with serving(answering(handle)) as url:
        yield url, hits


@pytest.mark.asyncio
async def test_a_redirect_after_a_create_is_not_followed_nor_resent(
    redirecting: tuple[str, list[str]],
) -> None:
    url, hits = redirecting
    async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=url, retry=FAST) as client:
        with pytest.raises(OutcomeUnknownError) as caught:
            await client.create_topic(GROUP, "t")
        assert client.metrics.requests == 1
    assert caught.value.status == 307 and caught.value.sent
    assert "redirect" in str(caught.value)
    assert len(hits) == 1


@pytest.mark.asyncio
async def test_a_redirect_is_a_sent_transport_error_and_each_attempt_takes_a_token(
    redirecting: tuple[str, list[str]],
) -> None:
    url, hits = redirecting
    async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=url, retry=FAST) as client:
        with pytest.raises(TransportError) as caught:
            await client.get_topic(GROUP)
        assert client.metrics.requests == FAST.max_attempts == len(hits)
    assert caught.value.status == 307 and caught.value.sent
    assert "elsewhere" not in str(caught.value)  # the Location (it may echo the query) is not shown


# -- the answer cap ---------------------------------------------------------------------------


class HugeAnswer:
    """Streams ``size`` bytes of an endless JSON string, chunked, counting what it wrote."""

    def __init__(self, size: int, *, declare: bool = False) -> None:
        self.size = size
        self.declare = declare
        self.written = 0
        self.requests = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        self.requests += 1
        response = web.StreamResponse()
        if self.declare:
            response.content_length = self.size
        await response.prepare(request)
        chunk = b"x" * (256 * 1024)
        try:
            await response.write(b'{"ErrorCode":0,"TopicId":"')
            while self.written < self.size:
                await response.write(chunk)
                self.written += len(chunk)
        except (ConnectionError, RuntimeError):
            pass  # the client stopped reading and closed the connection
        return response


@pytest_asyncio.fixture
async def huge() -> AsyncIterator[tuple[str, HugeAnswer]]:
    answer = HugeAnswer(512 * 1024 * 1024)
    async with serving(answering(answer.handle)) as url:
        yield url, answer


@pytest.mark.asyncio
async def test_a_huge_answer_is_cut_at_the_cap(huge: tuple[str, HugeAnswer]) -> None:
    url, answer = huge
    cap = 1024 * 1024
    async with TopicClient(
        SDKAPPID, ADMIN, SECRET, base_url=url, retry=FAST, max_answer_bytes=cap
    ) as client:
        with pytest.raises(DecodeError, match="over the 1048576 bytes accepted"):
            await client.get_topic(GROUP)
    # each attempt stopped reading near the cap: far less than 512 MiB a try left the server
    assert answer.requests == FAST.max_attempts
    assert answer.written < answer.requests * 64 * 1024 * 1024


@pytest.mark.asyncio
async def test_a_declared_size_over_the_cap_is_refused_unread(
    huge: tuple[str, HugeAnswer],
) -> None:
    url, answer = huge
    answer.declare = True
    async with TopicClient(
        SDKAPPID, ADMIN, SECRET, base_url=url, retry=FAST, max_answer_bytes=1000
    ) as client:
        with pytest.raises(UndecodedOutcomeError) as caught:
            await client.create_topic(GROUP, "t")
    # a create without a custom ID was answered, but not readably: unknown, not re-sent
    assert isinstance(caught.value, DecodeError) and isinstance(caught.value, OutcomeUnknownError)
    assert f"{512 * 1024 * 1024} bytes" in str(caught.value)
    assert answer.requests == 1


@pytest.mark.parametrize("bad", [0, -5, 1.5])
def test_max_answer_bytes_is_checked(bad: object) -> None:
    with pytest.raises(ValidationError, match="max_answer_bytes"):
        TopicClient(SDKAPPID, ADMIN, SECRET, base_url="http://x:1", max_answer_bytes=bad)  # type: ignore[arg-type]


# -- 60008: the service timed out, and may have done the work ---------------------------------


@pytest.mark.asyncio
async def test_60008_on_a_create_without_custom_id_is_not_resent(
    scripted: ScriptedServer,
) -> None:
    scripted.reply(fail(60008, "service request timed out"))
    async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=scripted.url, retry=FAST) as client:
        with pytest.raises(OutcomeUnknownError) as caught:
            await client.create_topic(GROUP, "t")
    assert len(scripted.seen) == 1
    message = str(caught.value)
    assert message.count("create_topic") == 1
    assert "60008" in message


@pytest.mark.asyncio
async def test_60008_with_a_custom_id_is_resent_and_in_use_means_made(
    scripted: ScriptedServer,
) -> None:
    scripted.reply(fail(60008, "service request timed out"), fail(10025, "in use"))
    async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=scripted.url, retry=FAST) as client:
        request = CreateTopicRequest(group_id=GROUP, topic_name="t", topic_id=CUSTOM)
        outcome = await client.send_create("create_topic", request)
    assert outcome.topic_id == CUSTOM and outcome.made_earlier
    assert len(scripted.seen) == 2


@pytest.mark.asyncio
async def test_10002_is_still_retried_for_a_create_without_custom_id(
    scripted: ScriptedServer,
) -> None:
    scripted.reply(fail(10002, "internal error"), ok(TopicId=CUSTOM))
    async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=scripted.url, retry=FAST) as client:
        assert await client.create_topic(GROUP, "t") == CUSTOM
    assert len(scripted.seen) == 2


@pytest.mark.asyncio
async def test_60008_on_a_read_is_retried(scripted: ScriptedServer) -> None:
    scripted.reply(fail(60008), fail(60008), fail(60008))
    async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=scripted.url, retry=FAST) as client:
        with pytest.raises(ServerError):
            await client.get_topic(GROUP)
    assert len(scripted.seen) == FAST.max_attempts


# -- one event loop per client ----------------------------------------------------------------


def test_a_client_used_from_a_second_event_loop_says_what_to_do() -> None:
    """What a script or Flask user writes: one client, two ``asyncio.run()`` calls."""
    clients: list[TopicClient] = []

    async def first() -> None:
        server = ScriptedServer()
        await server.start()
        try:
            client = TopicClient(SDKAPPID, ADMIN, SECRET, base_url=server.url, retry=FAST)
            clients.append(client)
            await client.get_topic(GROUP)
        finally:
            await server.stop()

    async def second() -> None:
        await clients[0].get_topic(GROUP)

    asyncio.run(first())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        with pytest.raises(WrongEventLoopError) as caught:
            asyncio.run(second())
    assert isinstance(caught.value, TimTopicsError)
    assert "one client per event loop" in str(caught.value)
    assert "asyncio.run" in str(caught.value)


@pytest.mark.asyncio
async def test_a_create_that_never_got_a_connection_is_not_an_unknown_outcome() -> None:
    """A service whose accept queue is full: the connect hangs until the attempt's time-out.
    Nothing was written, so the create is tried again (safely), and the call ends in a
    plain TransportError with ``sent=False``, never an OutcomeUnknownError."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        fillers = []
        for _ in range(8):  # fill the accept queue; later SYNs are dropped by the kernel
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        try:
            async with TopicClient(
                SDKAPPID,
                ADMIN,
                SECRET,
                base_url=f"http://127.0.0.1:{port}",
                timeout=0.3,
                retry=FAST,
            ) as client:
                with pytest.raises(TransportError) as caught:
                    await client.create_topic(GROUP, "t")
                assert client.metrics.requests == FAST.max_attempts  # retried: never sent
        finally:
            for filler in fillers:
                filler.close()
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert caught.value.sent is False
    assert "before the request was written" in str(caught.value)
