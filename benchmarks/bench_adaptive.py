"""Adaptive rate: the service's real limit is lower than the client was told.

The emulator admits at most 120 get_topic calls in any sliding 1-second window (50 +- 10 ms
per call); every client is configured for 200/s and runs 64 tasks. Contenders, measured in
this one run:

- LocalLimiter, adaptive (the default), one process;
- LocalLimiter, fixed (adaptive=False), one process;
- RedisLimiter, adaptive, four processes sharing one budget (skipped without redis-server).

Printed per contender, from the answers the clients got: settle_s, the start of the first
1-second window with at least 0.9 x 120 calls answered OK and at most 0.5 % answered 10006
(seconds after the start; "never" if none); and from then to the end: ratio (calls answered
OK per second / 120) and share_10006 (answers of 10006 / all answers, in %); then the
effective rate each process ended with.

Run: ``python -m benchmarks.bench_adaptive [--seconds 10]``.
"""

from __future__ import annotations

import argparse
import shutil
from typing import Any

from .bench_redis_shared import LATENCY, redis_server, run_processes
from .common import EmulatorProcess, row

SERVER_LIMIT = 120
CLIENT_LIMIT = 200
SETTLED_OK = 0.9
SETTLED_10006 = 0.005
STEP = 0.1


def timeline(results: list[dict[str, Any]], started: float) -> list[tuple[float, bool]]:
    """Every answer of every process: (seconds after the start, throttled), in time order."""
    return sorted((t - started, throttled) for r in results for t, throttled in r["answers"])


def counts(answers: list[tuple[float, bool]], start: float, end: float) -> tuple[int, int]:
    """(OK, throttled) answers in ``[start, end)``."""
    inside = [throttled for t, throttled in answers if start <= t < end]
    throttled = sum(inside)
    return len(inside) - throttled, throttled


def settle_time(answers: list[tuple[float, bool]], seconds: float) -> float | None:
    """The start of the first 1-second window that is at the target (see module doc)."""
    start = 0.0
    while start + 1 <= seconds:
        ok, throttled = counts(answers, start, start + 1)
        if ok >= SETTLED_OK * SERVER_LIMIT and throttled <= SETTLED_10006 * (ok + throttled):
            return start
        start = round(start + STEP, 6)
    return None


def report(name: str, results: list[dict[str, Any]], started: float, seconds: float) -> str:
    answers = timeline(results, started)
    settled = settle_time(answers, seconds)
    since = 0.0 if settled is None else settled
    ok, throttled = counts(answers, since, seconds)
    return row(
        name,
        settle_s="never" if settled is None else f"{settled:.1f}",
        ratio=ok / (seconds - since) / SERVER_LIMIT,
        share_10006_pct=100 * throttled / max(ok + throttled, 1),
        n_10006=throttled,
        final_rates="/".join(f"{r['final_rate']:.0f}" for r in results),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    seconds = args.seconds
    print(
        f"emulator limit {SERVER_LIMIT} per sliding second, clients configured for "
        f"{CLIENT_LIMIT}/s, 64 tasks per process, {seconds:g} s each, latency 50 +- 10 ms"
    )
    with EmulatorProcess(rate_limit=SERVER_LIMIT, faults=LATENCY) as emu:
        for name, kind in [
            ("LocalLimiter, adaptive, 1 process", "local-adaptive"),
            ("LocalLimiter, fixed, 1 process", "local"),
        ]:
            started, results, _ = run_processes(
                emu, kind, processes=1, seconds=seconds, rate_limit=CLIENT_LIMIT
            )
            print(report(name, results, started, seconds), flush=True)
        if shutil.which("redis-server") is None:
            print("RedisLimiter: skipped, redis-server is not on PATH")
            return
        with redis_server() as redis_url:
            started, results, _ = run_processes(
                emu,
                "redis",
                processes=4,
                seconds=seconds,
                rate_limit=CLIENT_LIMIT,
                redis_url=redis_url,
            )
            print(report("RedisLimiter, adaptive, 4 processes", results, started, seconds))


if __name__ == "__main__":
    main()
