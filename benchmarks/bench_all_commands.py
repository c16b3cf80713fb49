"""All five commands at once, each at its own 200/s: the buckets are independent.

One client sends N calls of each command concurrently to one emulator (own process)
enforcing 200 calls per sliding second per command. Printed per command, in one run:
achieved calls/s / 200, the 10006 answers and the peak 1-second window.

Run: ``python -m benchmarks.bench_all_commands [--calls 1000]``
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable

from tim_topics import RetryPolicy, TopicClient

from .common import ADMIN, GROUP, LIMIT, SDKAPPID, SECRET, EmulatorProcess, row

CONCURRENCY = 32


def topic(i: int, kind: str) -> str:
    return f"{GROUP}@TOPIC#_{kind}-{i}"


async def prepare(url: str, calls: int) -> None:
    """Topics for modify, get and destroy to work on, made quickly (limits raised)."""
    async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=url, rate_limit=100_000) as client:
        ids = [topic(i, kind) for kind in ("m", "d") for i in range(calls)]
        queue = iter(ids)

        async def worker() -> None:
            for topic_id in queue:
                await client.import_topic(GROUP, "seed", topic_id=topic_id)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def run(url: str, calls: int) -> dict[str, float]:
    policy = RetryPolicy(max_attempts=20, max_total=120)
    async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=url, retry=policy) as client:
        plans: dict[str, Callable[[int], Awaitable[object]]] = {
            "create_topic": lambda i: client.create_topic(GROUP, f"c-{i}"),
            "import_topic": lambda i: client.import_topic(GROUP, f"i-{i}"),
            "get_topic": lambda i: client.get_topic(GROUP, topic_ids=[topic(i, "m")]),
            "modify_topic": lambda i: client.modify_topic(
                GROUP, topic(i, "m"), notification=str(i)
            ),
            "destroy_topic": lambda i: client.destroy_topic(GROUP, [topic(i, "d")]),
        }

        async def drive(send: Callable[[int], Awaitable[object]]) -> float:
            started = time.perf_counter()
            queue = iter(range(calls))

            async def worker() -> None:
                for i in queue:
                    await send(i)

            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            return time.perf_counter() - started

        elapsed = await asyncio.gather(*(drive(send) for send in plans.values()))
        return dict(zip(plans, elapsed, strict=True))


async def capacity(url: str, calls: int) -> float:
    """Calls per second this machine manages through the client with no limit at all,
    the five commands mixed: the ceiling any rate-limited run here can reach."""
    async with TopicClient(
        SDKAPPID, ADMIN, SECRET, base_url=url, rate_limit=10_000_000, adaptive=False
    ) as client:
        sends: list[Callable[[], Awaitable[object]]] = [
            lambda: client.create_topic(GROUP, "cap"),
            lambda: client.import_topic(GROUP, "cap"),
            lambda: client.get_topic(GROUP, topic_ids=[topic(0, "m")]),
            lambda: client.modify_topic(GROUP, topic(0, "m"), notification="cap"),
            lambda: client.destroy_topic(GROUP, [topic(0, "gone")]),
        ]
        queue = iter(range(calls))

        async def worker(send: Callable[[], Awaitable[object]]) -> None:
            for _ in queue:
                await send()

        started = time.perf_counter()
        await asyncio.gather(*(worker(sends[i % 5]) for i in range(5 * CONCURRENCY)))
        return calls / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args(argv)
    print(f"{args.calls} calls of each of the five commands at once, limit {LIMIT}/s each")
    with EmulatorProcess(rate_limit=100_000) as emu:
        asyncio.run(prepare(emu.url, args.calls))
        ceiling = asyncio.run(capacity(emu.url, 2000))
        print(
            f"machine ceiling (no limits, five commands mixed): {ceiling:.0f} calls/s, "
            f"i.e. {ceiling / 5 / LIMIT:.3f} of the limit per command"
        )
        emu.set_rate_limit(LIMIT)
        time.sleep(1.1)
        emu.reset()
        elapsed = asyncio.run(run(emu.url, args.calls))
        for command, seconds in elapsed.items():
            stats = emu.stats(command)
            print(
                row(
                    command,
                    seconds=seconds,
                    ratio=args.calls / seconds / LIMIT,
                    **{"10006": stats["rate_limited"]},
                    peak=stats["peak_window"],
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
