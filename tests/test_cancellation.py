"""Cancelling hundreds of calls at random moments (waiting for a token, in flight, or
being retried) loses nothing: the client keeps working at its rate, and no connection or
task is left behind."""

from __future__ import annotations

import asyncio
import random

import pytest
from support.constants import ADMIN, GROUP, SDKAPPID, SECRET

from tim_topics import RetryPolicy, TopicClient
from tim_topics.emulator import Emulator

pytestmark = pytest.mark.asyncio


def our_tasks() -> list[asyncio.Task[object]]:
    """Tasks other than this test and the emulator's own request handlers."""
    return [
        task
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task()
        and "RequestHandler" not in getattr(task.get_coro(), "__qualname__", "")
    ]


@pytest.mark.parametrize("seed", [1, 2])
async def test_random_cancellations_leak_nothing(seed: int) -> None:
    rng = random.Random(seed)
    async with Emulator(sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP]) as emu:
        emu.set_faults(latency_ms=30, jitter_ms=20, error_rate={10002: 0.1}, seed=seed)
        policy = RetryPolicy(initial_wait=0.01, max_wait=0.05)
        async with TopicClient(
            SDKAPPID, ADMIN, SECRET, base_url=emu.url, rate_limit=200, retry=policy
        ) as client:

            async def cancel_later(task: asyncio.Task[object], delay: float) -> None:
                await asyncio.sleep(delay)
                task.cancel()

            calls = [asyncio.create_task(client.get_topic(GROUP)) for _ in range(400)]
            cancellers = [
                asyncio.create_task(cancel_later(task, rng.uniform(0, 1.5))) for task in calls
            ]
            results = await asyncio.gather(*calls, return_exceptions=True)
            await asyncio.gather(*cancellers)
            cancelled = sum(isinstance(r, asyncio.CancelledError) for r in results)
            finished = sum(r == [] for r in results)
            assert cancelled + finished == 400
            assert cancelled > 50 and finished > 50  # both kinds of moment were hit

            emu.clear_faults()
            emu.reset_stats()
            loop = asyncio.get_running_loop()
            started = loop.time()
            assert (
                await asyncio.gather(*(client.get_topic(GROUP) for _ in range(200))) == [[]] * 200
            )
            elapsed = loop.time() - started
            stats = emu.stats["get_topic"]
            assert stats.calls == 200 and stats.rate_limited == 0
            assert elapsed < 10  # no token was lost for good: the bucket still refills

            connector = client.session.connector if client.session else None
            assert connector is not None
            assert len(connector._acquired) == 0  # type: ignore[attr-defined]
        await asyncio.sleep(0.1)
        assert our_tasks() == []
