"""What the client costs over a hand-written aiohttp loop, in one run.

Throughput: with the limiter set far above what the machine can do, N get_topic calls
through ``TopicClient`` and through a raw aiohttp loop sending the same requests to the
same emulator (own process, no rate limit); printed: client calls/s / raw calls/s
(target >= 0.75) and CPU microseconds per call of this process for both.

Latency at low load: calls one at a time, alternating client and raw; printed: p50 and
p99 of each and the difference (the latency the client adds).

Run: ``python -m benchmarks.bench_overhead [--calls 5000] [--latency-calls 500]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator

import aiohttp

from tim_topics import TopicClient

from .common import ADMIN, GROUP, SDKAPPID, SECRET, EmulatorProcess, RawCaller, row

CONCURRENCY = 32
BODY = {"GroupId": GROUP, "From_Account": ADMIN}


async def throughput(url: str, calls: int) -> dict[str, tuple[float, float]]:
    """(calls per second, CPU microseconds per call) of each contender."""
    results: dict[str, tuple[float, float]] = {}
    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(connector=connector) as session:
        raw = RawCaller(url, session)
        async with TopicClient(
            SDKAPPID, ADMIN, SECRET, base_url=url, rate_limit=10_000_000, adaptive=False
        ) as client:

            async def through_client() -> None:
                await client.get_topic(GROUP)

            async def through_raw() -> None:
                answer = await raw.call("get_topic", BODY)
                assert answer["ErrorCode"] == 0

            async def worker(queue: Iterator[int], one: Callable[[], Awaitable[None]]) -> None:
                for _ in queue:
                    await one()

            for name, one in (("raw", through_raw), ("client", through_client)) * 2:
                queue = iter(range(calls))
                cpu, wall = time.process_time(), time.perf_counter()
                await asyncio.gather(*(worker(queue, one) for _ in range(CONCURRENCY)))
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                results[name] = (calls / wall, cpu / calls * 1e6)  # second round wins (warm)
    return results


async def latency(url: str, calls: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"client": [], "raw": []}
    async with aiohttp.ClientSession() as session:
        raw = RawCaller(url, session)
        async with TopicClient(
            SDKAPPID, ADMIN, SECRET, base_url=url, rate_limit=10_000_000
        ) as client:
            for i in range(calls + 20):
                for name in ("client", "raw") if i % 2 else ("raw", "client"):
                    started = time.perf_counter()
                    if name == "client":
                        await client.get_topic(GROUP)
                    else:
                        await raw.call("get_topic", BODY)
                    if i >= 20:  # warm-up left out
                        samples[name].append((time.perf_counter() - started) * 1000)
    return samples


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--latency-calls", type=int, default=500)
    args = parser.parse_args(argv)
    with EmulatorProcess(rate_limit=10_000_000) as emu:
        result = asyncio.run(throughput(emu.url, args.calls))
        (client_rate, client_cpu), (raw_rate, raw_cpu) = result["client"], result["raw"]
        print(f"throughput, {args.calls} get_topic calls, concurrency {CONCURRENCY}")
        print(row("raw aiohttp loop", calls_per_s=raw_rate, cpu_us_per_call=raw_cpu))
        print(row("tim_topics TopicClient", calls_per_s=client_rate, cpu_us_per_call=client_cpu))
        print(
            row(
                "client / raw",
                throughput_ratio=client_rate / raw_rate,
                cpu_ratio=client_cpu / raw_cpu,
            )
        )
        samples = asyncio.run(latency(emu.url, args.latency_calls))
    print(f"latency at low load, {args.latency_calls} sequential calls each, ms")
    for name in ("raw", "client"):
        print(row(name, p50=percentile(samples[name], 0.5), p99=percentile(samples[name], 0.99)))
    added50 = percentile(samples["client"], 0.5) - percentile(samples["raw"], 0.5)
    added99 = percentile(samples["client"], 0.99) - percentile(samples["raw"], 0.99)
    print(row("added by the client", p50=added50, p99=added99))


if __name__ == "__main__":
    main()
