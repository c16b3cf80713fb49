"""Throughput at the service's limit: ours against what a user would write instead.

Each contender sends the same N calls of one command to a fresh emulator (own process)
that admits at most 200 calls in any sliding 1-second window and answers 10006 beyond.
Printed per contender, all measured in this one run:

- completed: calls that succeeded, of those asked for;
- ratio: calls that succeeded per second of wall time, divided by 200;
- 10006: how many answers of 10006 the emulator gave;
- peak: the most calls the emulator admitted in any 1-second window.

Run: ``python -m benchmarks.bench_throughput`` (2,000 create_topic calls, no latency), or
``python -m benchmarks.bench_throughput --calls 5000 --bulk --latency-ms 50 --jitter-ms 20``
(5,000 imports through ``TopicClient.import_topics``, 50 +- 20 ms service latency).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import tenacity
from aiolimiter import AsyncLimiter

from tim_topics import RetryPolicy, TopicClient
from tim_topics.models import TopicRecord

from .common import ADMIN, GROUP, LIMIT, SDKAPPID, SECRET, EmulatorProcess, RawCaller, row

CONCURRENCY = 64


def body(command: str, i: int) -> dict[str, Any]:
    return {"GroupId": GROUP, "TopicName": f"topic-{i}"}


async def run_ours(url: str, command: str, calls: int, bulk: bool) -> int:
    policy = RetryPolicy(max_attempts=20, max_total=120)
    async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=url, retry=policy) as client:
        if bulk:
            records = (TopicRecord(group_id=GROUP, topic_name=f"topic-{i}") for i in range(calls))
            ok = 0
            async for outcome in client.import_topics(records, concurrency=CONCURRENCY):
                ok += outcome.status == "imported"
            return ok
        send = client.import_topic if command == "import_topic" else client.create_topic
        queue = iter(range(calls))
        ok = 0

        async def worker() -> None:
            nonlocal ok
            for i in queue:
                await send(GROUP, f"topic-{i}")
                ok += 1

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return ok


async def run_raw(url: str, command: str, calls: int, style: str) -> int:
    """(a) gather + semaphore, no limiter; (b) AsyncLimiter(200, 1) + tenacity on 10006."""
    limiter = AsyncLimiter(LIMIT, 1)
    semaphore = asyncio.Semaphore(CONCURRENCY)
    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(connector=connector) as session:
        caller = RawCaller(url, session)

        async def plain(i: int) -> bool:
            async with semaphore:
                answer = await caller.call(command, body(command, i))
                return answer.get("ErrorCode") == 0

        @tenacity.retry(
            retry=tenacity.retry_if_result(lambda answer: answer.get("ErrorCode") == 10006),
            wait=tenacity.wait_random_exponential(multiplier=0.1, max=2),
            stop=tenacity.stop_after_delay(120),
        )
        async def limited_call(i: int) -> dict[str, Any]:
            async with limiter:
                return await caller.call(command, body(command, i))

        async def limited(i: int) -> bool:
            async with semaphore:
                answer = await limited_call(i)
                return answer.get("ErrorCode") == 0

        one: Callable[[int], Awaitable[bool]] = plain if style == "gather" else limited
        results = await asyncio.gather(*(one(i) for i in range(calls)))
        return sum(results)


def measure(
    name: str, options: dict[str, Any], command: str, calls: int, go: Callable[[str], Any]
) -> None:
    with EmulatorProcess(rate_limit=LIMIT, **options) as emu:
        started = time.perf_counter()
        ok = asyncio.run(go(emu.url))
        elapsed = time.perf_counter() - started
        stats = emu.stats(command)
    print(
        row(
            name,
            completed=f"{ok}/{calls}",
            seconds=elapsed,
            ratio=ok / elapsed / LIMIT,
            **{"10006": stats["rate_limited"]},
            share_10006=stats["rate_limited"] / max(stats["calls"], 1),
            peak=stats["peak_window"],
        ),
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument(
        "--command", default="create_topic", choices=["create_topic", "import_topic"]
    )
    parser.add_argument("--bulk", action="store_true", help="ours through import_topics (import)")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    command = "import_topic" if args.bulk else args.command
    options = {}
    if args.latency_ms or args.jitter_ms:
        options["faults"] = {"latency_ms": args.latency_ms, "jitter_ms": args.jitter_ms, "seed": 1}
    print(
        f"{args.calls} calls of {command}, limit {LIMIT} per sliding second, "
        f"latency {args.latency_ms:g} +- {args.jitter_ms:g} ms, concurrency {CONCURRENCY}"
    )
    ours = "tim_topics import_topics" if args.bulk else "tim_topics TopicClient"
    measure(
        ours,
        options,
        command,
        args.calls,
        lambda url: run_ours(url, command, args.calls, args.bulk),
    )
    measure(
        "(b) aiohttp + AsyncLimiter(200, 1) + tenacity",
        options,
        command,
        args.calls,
        lambda url: run_raw(url, command, args.calls, "limited"),
    )
    measure(
        "(a) aiohttp + gather + semaphore, no limiter",
        options,
        command,
        args.calls,
        lambda url: run_raw(url, command, args.calls, "gather"),
    )


if __name__ == "__main__":
    main()
