"""Admissions of a limiter while the event loop stops now and then, as Python's collector
stops a process with a thousand calls in flight: on the virtual clock, for the limiter's
tests and for ``benchmarks/limiter_pauses.py``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tim_topics.limiter import LocalLimiter

from .virtual_clock import VirtualClockLoop


async def admit_with_pauses(
    limiter: LocalLimiter,
    *,
    seconds: float,
    every: float,
    pause: float | Callable[[int], float],
) -> list[float]:
    """100 callers acquiring get_topic for ``seconds`` while the loop stops every ``every``
    seconds (a garbage collection), for ``pause`` seconds, or for ``pause(n)`` at the n-th
    stop (counted from 1); the moment of each admission."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualClockLoop)
    times: list[float] = []
    end = loop.time() + seconds

    async def collector() -> None:
        stops = 0
        while loop.time() + every < end:
            await asyncio.sleep(every)
            stops += 1
            loop.busy(pause(stops) if callable(pause) else pause)

    async def worker() -> None:
        while loop.time() < end:
            await limiter.acquire("get_topic")
            times.append(loop.time())

    await asyncio.gather(collector(), *(worker() for _ in range(100)))
    return times
