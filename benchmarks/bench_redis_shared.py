"""Several processes, one budget: a Redis-shared limiter against in-process limiters.

Four processes (64 tasks each) send get_topic calls through their own TopicClient to one
emulator (its own process) that admits at most 200 calls in any sliding 1-second window
and answers 10006 beyond; the emulator takes 50 +- 10 ms per call. Contenders, measured in
this one run over the same number of seconds each:

- RedisLimiter: the four processes share one budget in a local redis-server;
- LocalLimiter, fixed: each process has its own 200/s bucket (adaptive=False);
- LocalLimiter, adaptive: each has its own bucket and lowers it on 10006 (the default).

Printed per contender, from the answers the clients got during those seconds: ratio (calls
answered OK per second / 200), share_10006_pct (answers of 10006 / all answers, in %) and
n_10006; from the emulator: its own 10006 share in % (it also counts the calls still
queued in the limiters at the end, sent after the measured seconds) and its peak sliding
window; failed: calls that gave up after their retries.

Needs ``redis-server`` on PATH (``apt-get install redis-server``). Run:
``python -m benchmarks.bench_redis_shared [--seconds 8] [--processes 4]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing as mp
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from multiprocessing.synchronize import Event
from typing import Any

from tim_topics import TimTopicsError, TopicClient
from tim_topics.limiter import Limiter, LocalLimiter
from tim_topics.redis_limiter import RedisLimiter

from .common import ADMIN, GROUP, LIMIT, SDKAPPID, SECRET, EmulatorProcess, row

COMMAND = "get_topic"
TASKS_PER_PROCESS = 64
LATENCY = {"latency_ms": 50.0, "jitter_ms": 10.0, "seed": 1}


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on a free loopback port; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not on PATH: apt-get install redis-server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


class RecordingLimiter:
    """A limiter that passes everything to another and notes when each answer came
    (``time.time()``, comparable across processes) and whether it was throttled."""

    def __init__(self, inner: Limiter) -> None:
        self.inner = inner
        self.answers: list[tuple[float, bool]] = []

    async def acquire(self, command: str) -> None:
        await self.inner.acquire(command)

    def feedback(self, command: str, *, throttled: bool) -> None:
        self.answers.append((time.time(), throttled))
        self.inner.feedback(command, throttled=throttled)

    def effective_rate(self, command: str) -> float:
        return self.inner.effective_rate(command)

    async def aclose(self) -> None:
        await self.inner.aclose()


def make_limiter(kind: str, rate_limit: float, redis_url: str, key_prefix: str) -> Limiter:
    """``kind``: redis, redis-fixed, local-adaptive or local (fixed)."""
    adaptive = kind in ("redis", "local-adaptive")
    if kind.startswith("redis"):
        return RedisLimiter(
            redis_url, key_prefix=key_prefix, rate_limit=rate_limit, adaptive=adaptive
        )
    return LocalLimiter(rate_limit, adaptive=adaptive)


async def _client_run(
    url: str, limiter: RecordingLimiter, go: Event, seconds: float
) -> dict[str, Any]:
    async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=url, limiter=limiter) as client:
        await client.get_topic(GROUP)  # warm up: connection, UserSig
        limiter.answers.clear()
        await asyncio.get_running_loop().run_in_executor(None, go.wait)
        stop_at = time.monotonic() + seconds
        failed = 0

        async def task() -> None:
            # no cancelling at the end: calls then queued in the limiter still go out,
            # after the measured seconds
            nonlocal failed
            while time.monotonic() < stop_at:
                try:
                    await client.get_topic(GROUP)
                except TimTopicsError:
                    failed += 1

        await asyncio.gather(*(task() for _ in range(TASKS_PER_PROCESS)))
        rate = client.effective_rate(COMMAND)
    await limiter.aclose()
    return {"answers": limiter.answers, "failed": failed, "final_rate": rate}


def _process_main(
    url: str,
    kind: str,
    rate_limit: float,
    redis_url: str,
    key_prefix: str,
    go: Event,
    ready: Any,
    results: Any,
    seconds: float,
) -> None:
    logging.getLogger("tim_topics").setLevel(logging.ERROR)  # retries log warnings
    limiter = RecordingLimiter(make_limiter(kind, rate_limit, redis_url, key_prefix))
    ready.put(True)
    results.put(asyncio.run(_client_run(url, limiter, go, seconds)))


def run_processes(
    emu: EmulatorProcess,
    kind: str,
    *,
    processes: int,
    seconds: float,
    rate_limit: float = LIMIT,
    redis_url: str = "",
) -> tuple[float, list[dict[str, Any]], dict[str, Any]]:
    """Run ``processes`` clients for ``seconds`` from one start signal. Returns the start
    time (``time.time()``), each process's result and the emulator's stats of the run."""
    ctx = mp.get_context("spawn")
    go, ready, results = ctx.Event(), ctx.Queue(), ctx.Queue()
    key_prefix = f"bench:{uuid.uuid4().hex}"
    workers = [
        ctx.Process(
            target=_process_main,
            args=(emu.url, kind, rate_limit, redis_url, key_prefix, go, ready, results, seconds),
            daemon=True,
        )
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=60)
    time.sleep(0.5)  # every client made its warm-up call
    emu.reset()
    started = time.time()
    go.set()
    gathered = [results.get(timeout=seconds + 60) for _ in workers]
    stats = emu.stats(COMMAND)
    for worker in workers:
        worker.join(10)
    return started, gathered, stats


def window_figures(
    results: list[dict[str, Any]], start: float, end: float, limit: float
) -> dict[str, float | int]:
    """Answers the clients saw in ``[start, end)``: OK per second / ``limit``, 10006 share."""
    answers = [a for r in results for a in r["answers"] if start <= a[0] < end]
    throttled = sum(1 for _, was_throttled in answers if was_throttled)
    ok = len(answers) - throttled
    return {
        "ratio": ok / (end - start) / limit,
        "share_10006_pct": 100 * throttled / max(len(answers), 1),
        "n_10006": throttled,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args(argv)
    print(
        f"{args.processes} processes x {TASKS_PER_PROCESS} tasks of {COMMAND} for "
        f"{args.seconds:g} s each, limit {LIMIT} per sliding second, latency 50 +- 10 ms"
    )
    contenders = [
        ("RedisLimiter, one shared budget", "redis"),
        ("LocalLimiter per process, fixed", "local"),
        ("LocalLimiter per process, adaptive", "local-adaptive"),
    ]
    with redis_server() as redis_url, EmulatorProcess(rate_limit=LIMIT, faults=LATENCY) as emu:
        for name, kind in contenders:
            started, results, stats = run_processes(
                emu, kind, processes=args.processes, seconds=args.seconds, redis_url=redis_url
            )
            figures = window_figures(results, started, started + args.seconds, LIMIT)
            print(
                row(
                    name,
                    **figures,
                    emulator_10006_pct=100 * stats["rate_limited"] / max(stats["calls"], 1),
                    peak=stats["peak_window"],
                    failed=sum(r["failed"] for r in results),
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
