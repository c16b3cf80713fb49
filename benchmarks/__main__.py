"""Run the benchmarks one after another: ``python -m benchmarks``.

The quick ones by default (a few minutes in all); ``--all`` adds the Redis-shared run
(needs ``redis-server`` on PATH) and the memory run at 100,000 and 1,000,000 records
(about 15 minutes on two cores). Each prints its own ratios, measured in its own run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

QUICK = [
    ["benchmarks.bench_throughput"],
    [
        "benchmarks.bench_throughput",
        "--calls",
        "5000",
        "--bulk",
        "--latency-ms",
        "50",
        "--jitter-ms",
        "20",
    ],
    ["benchmarks.bench_all_commands"],
    ["benchmarks.bench_overhead"],
    ["benchmarks.bench_adaptive"],
    ["benchmarks.bench_far"],
]
SLOW = [
    ["benchmarks.bench_redis_shared"],
    ["benchmarks.bench_memory"],
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="also the Redis and memory runs")
    args = parser.parse_args(argv)
    runs = QUICK + (SLOW if args.all else [])
    failed = 0
    for run in runs:
        if run[0] == "benchmarks.bench_redis_shared" and shutil.which("redis-server") is None:
            print("== skipped benchmarks.bench_redis_shared: redis-server is not on PATH")
            continue
        print("==", " ".join(["python -m", *run]), flush=True)
        failed += subprocess.run([sys.executable, "-m", *run]).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
