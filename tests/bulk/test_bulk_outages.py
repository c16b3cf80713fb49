"""Outages pause an import, they do not fail it (issue 11): an endpoint that refuses
connections, or a shared limiter whose Redis is down, stops the taking of new records; the
import retries with back-off and resumes when things come back; past the outage limit it
stops cleanly, and running it again finishes the job. No record is marked failed."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from support.bulk import FAST, GROUPS, SHORT_WAIT, make_records
from support.constants import ADMIN, GROUP, SDKAPPID, SECRET

from tim_topics import TopicClient, TopicRecord
from tim_topics.bulk import ImportGauges, ImportOutcome, Journal, OutageError, import_topics
from tim_topics.emulator import Emulator
from tim_topics.limiter import LocalLimiter
from tim_topics.redis_limiter import LimiterUnavailableError, RedisLimiter

pytestmark = pytest.mark.asyncio


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def until(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    """Wait for ``condition`` (a deadline only guards against a hang; not a timing assert)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "the condition never came true"
        await asyncio.sleep(0.02)


def emulator_at(port: int) -> Emulator:
    return Emulator(
        sdkappid=SDKAPPID,
        secret_key=SECRET,
        identifier=ADMIN,
        groups=GROUPS,
        port=port,
        rate_limit=5000,
    )


def assert_each_once(
    outcomes: list[ImportOutcome], records: list[TopicRecord], emu: Emulator
) -> None:
    assert sorted(o.index for o in outcomes) == list(range(len(records)))
    assert {o.status for o in outcomes} == {"imported"}
    names = Counter((t.group_id, t.topic_name) for g in GROUPS for t in emu.topics(g))
    assert len(names) == len(records) and max(names.values()) == 1


async def test_an_unreachable_endpoint_pauses_the_import_until_it_is_back() -> None:
    port = free_port()
    records = make_records(30)
    gauges = ImportGauges()
    async with TopicClient(
        SDKAPPID, ADMIN, SECRET, base_url=f"http://127.0.0.1:{port}", rate_limit=5000, retry=FAST
    ) as client:
        outcomes: list[ImportOutcome] = []

        async def consume() -> None:
            async for outcome in import_topics(
                client, records, gauges=gauges, settle_wait=SHORT_WAIT
            ):
                outcomes.append(outcome)

        task = asyncio.create_task(consume())
        await until(lambda: gauges.waiting is not None)
        assert "cannot reach the service" in gauges.waiting
        assert outcomes == []  # nothing failed meanwhile
        async with emulator_at(port) as emu:
            await task
            assert gauges.waiting is None
            assert_each_once(outcomes, records, emu)


async def test_an_outage_past_the_limit_stops_cleanly_and_running_again_finishes(
    tmp_path: Path,
) -> None:
    port = free_port()
    records = make_records(20)
    journal = tmp_path / "journal"
    async with TopicClient(
        SDKAPPID, ADMIN, SECRET, base_url=f"http://127.0.0.1:{port}", rate_limit=5000, retry=FAST
    ) as client:
        seen: list[ImportOutcome] = []
        with pytest.raises(OutageError, match="marked nothing failed"):
            async for outcome in import_topics(
                client, records, journal=journal, outage_limit=1.0, settle_wait=SHORT_WAIT
            ):
                seen.append(outcome)
        assert seen == []
        with Journal.open(journal) as book:
            assert book.counts()["failed"] == 0
        async with emulator_at(port) as emu:
            outcomes = [
                o
                async for o in import_topics(
                    client, records, journal=journal, settle_wait=SHORT_WAIT
                )
            ]
            assert_each_once(outcomes, records, emu)


class FlakyRedisLimiter(LocalLimiter):
    """A limiter whose (pretend) Redis is down while ``down`` is set."""

    def __init__(self) -> None:
        super().__init__(5000, adaptive=False)
        self.down = True
        self.refused = 0

    async def acquire(self, command: str) -> None:
        if self.down:
            self.refused += 1
            raise LimiterUnavailableError("the shared limiter's Redis is unreachable")
        await super().acquire(command)


async def test_a_shared_limiter_outage_pauses_the_import(emu: Emulator) -> None:
    limiter = FlakyRedisLimiter()
    records = [TopicRecord(group_id=GROUP, topic_name=f"r{n}") for n in range(25)]
    gauges = ImportGauges()
    async with TopicClient(
        SDKAPPID, ADMIN, SECRET, base_url=emu.url, limiter=limiter, retry=FAST
    ) as client:
        outcomes: list[ImportOutcome] = []

        async def consume() -> None:
            async for outcome in import_topics(
                client, records, gauges=gauges, settle_wait=SHORT_WAIT
            ):
                outcomes.append(outcome)

        task = asyncio.create_task(consume())
        await until(lambda: gauges.waiting is not None)
        refused_while_paused = limiter.refused
        assert outcomes == []
        limiter.down = False
        await task
    assert refused_while_paused < 10 * 64  # paused: no storm of attempts
    assert_each_once(outcomes, records, emu)


class RedisProcess:
    """A redis-server of this test's own on a fixed port, to stop and start again."""

    def __init__(self, binary: str, port: int) -> None:
        self.binary, self.port = binary, port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


async def test_redis_stopped_mid_import_pauses_it_and_nothing_fails(emu: Emulator) -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    redis = RedisProcess(binary, free_port())
    redis.start()
    records = [TopicRecord(group_id=GROUP, topic_name=f"shared {n}") for n in range(400)]
    gauges = ImportGauges()
    try:
        limiter = RedisLimiter(
            f"redis://127.0.0.1:{redis.port}/0", key_prefix=f"tim:{SDKAPPID}", rate_limit=1000
        )
        async with TopicClient(
            SDKAPPID, ADMIN, SECRET, base_url=emu.url, limiter=limiter, retry=FAST
        ) as client:
            outcomes: list[ImportOutcome] = []

            async def consume() -> None:
                async for outcome in import_topics(
                    client, records, gauges=gauges, settle_wait=SHORT_WAIT
                ):
                    outcomes.append(outcome)

            task = asyncio.create_task(consume())
            await until(lambda: len(outcomes) >= 50)
            redis.stop()
            await until(lambda: gauges.waiting is not None)
            assert {o.status for o in outcomes} == {"imported"}
            redis.start()
            await task
            await limiter.aclose()
    finally:
        redis.stop()
    assert_each_once(outcomes, records, emu)
