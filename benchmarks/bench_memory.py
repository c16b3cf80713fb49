"""Peak memory of the bulk importer: does it stay flat as the input grows?

For each size (default 100,000 and 1,000,000 records), a fresh emulator runs in its own
process (its memory grows with the topics it holds and is not counted) and a fresh importer
process imports that many generated records (a generator, never a list) through
``TopicClient.import_topics`` with its journal, at a raised rate limit. The importer reports
its own peak RSS (``getrusage``), its RSS along the way and its rate. Printed: both peaks
and their ratio; the target is a ratio of at most 1.2 and a peak under 150 MB.

Run: ``python -m benchmarks.bench_memory [--sizes 100000 1000000] [--rate 5000]``
(a million records take several minutes: the two processes share the machine's cores).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import psutil

from tim_topics import TopicClient
from tim_topics.bulk.sample import sample_records

from .common import ADMIN, GROUP, SDKAPPID, SECRET, EmulatorProcess, row

RATIO_TARGET = 1.2
PEAK_TARGET_MB = 150.0


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def import_generated(count: int, url: str, rate: float, concurrency: int) -> dict[str, Any]:
    """Import ``count`` generated records; what it took."""
    process = psutil.Process()
    statuses: Counter[str] = Counter()
    samples: list[tuple[int, float]] = []
    started = time.perf_counter()
    next_sample = started
    async with TopicClient(
        SDKAPPID, ADMIN, SECRET, base_url=url, rate_limit=rate, adaptive=False
    ) as client:
        records = sample_records(count, groups=[GROUP])
        async for outcome in client.import_topics(records, concurrency=concurrency):
            statuses[outcome.status] += 1
            now = time.perf_counter()
            if now >= next_sample:
                samples.append((sum(statuses.values()), process.memory_info().rss / 2**20))
                next_sample = now + 5.0
    elapsed = time.perf_counter() - started
    return {
        "count": count,
        "seconds": elapsed,
        "rate": count / elapsed,
        "statuses": dict(statuses),
        "peak_rss_mb": peak_rss_mb(),
        "rss_along_the_way_mb": samples,
    }


def run_child(args: argparse.Namespace) -> None:
    result = asyncio.run(import_generated(args.child, args.url, args.rate, args.concurrency))
    print(json.dumps(result), flush=True)


def measure(count: int, rate: float, concurrency: int) -> dict[str, Any]:
    """One size: a fresh emulator process, a fresh importer process."""
    with EmulatorProcess(rate_limit=int(rate)) as emulator:
        command = [
            sys.executable,
            "-m",
            "benchmarks.bench_memory",
            "--child",
            str(count),
            "--url",
            emulator.url,
            "--rate",
            str(rate),
            "--concurrency",
            str(concurrency),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        result["topics_in_emulator"] = emulator.topic_count()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--rate", type=float, default=5000.0, help="calls/s (emulator too)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        run_child(args)
        return
    results = []
    for count in args.sizes:
        result = measure(count, args.rate, args.concurrency)
        results.append(result)
        print(
            row(
                f"import {count:,} generated records",
                seconds=result["seconds"],
                records_per_s=result["rate"],
                peak_rss_mb=result["peak_rss_mb"],
                statuses=result["statuses"],
                topics=result["topics_in_emulator"],
            ),
            flush=True,
        )
        along = ", ".join(
            f"{done:,}: {rss:.1f}" for done, rss in result["rss_along_the_way_mb"][::6]
        )
        print(f"    RSS (MB) along the way, by records done: {along}", flush=True)
    if len(results) >= 2:
        small, large = results[0], results[-1]
        ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
        flat = ratio <= RATIO_TARGET and large["peak_rss_mb"] < PEAK_TARGET_MB
        print(
            row(
                "peak RSS ratio",
                ratio=ratio,
                target=f"<= {RATIO_TARGET} and < {PEAK_TARGET_MB:g} MB",
                verdict="flat" if flat else "NOT FLAT",
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
