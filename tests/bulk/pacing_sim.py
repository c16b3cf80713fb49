"""A discrete-event simulation of the pacing rules: records go through a limiter that grants
``rate`` tokens per second (FIFO), then take the service's latency. No real time passes, so
figures of rate and in-flight can be asserted exactly and quickly."""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable

from tim_topics.bulk.pacing import InFlightTarget


def simulate(
    latency_at: Callable[[float], float],
    *,
    rate: float = 196.0,
    duration: float = 60.0,
    cap: int | None = None,
    jitter: float = 0.1,
    seed: int = 1,
) -> tuple[list[float], list[tuple[float, int]]]:
    """Run the rules for ``duration`` seconds; the completion times, and (time, target)
    after each completion."""
    rng = random.Random(seed)
    clock = [0.0]
    calls = [0]
    pacing = InFlightTarget(lambda: rate, lambda: calls[0], cap=cap, clock=lambda: clock[0])
    events: list[tuple[float, int, str, float]] = []
    order = 0
    next_token = 0.0
    in_flight = 0
    done: list[float] = []
    targets: list[tuple[float, int]] = []

    def start() -> None:
        nonlocal order, next_token, in_flight
        started = pacing.started()
        in_flight += 1
        grant = max(clock[0], next_token)
        next_token = grant + 1.0 / rate
        took = latency_at(grant) * (1 + rng.uniform(-jitter, jitter))
        heapq.heappush(events, (grant, order, "grant", started))
        heapq.heappush(events, (grant + took, order + 1, "done", started))
        order += 2

    while in_flight < pacing.target:
        start()
    while events:
        moment, _, kind, started = heapq.heappop(events)
        if moment > duration:
            break
        clock[0] = moment
        if kind == "grant":
            calls[0] += 1
            continue
        pacing.finished(started)
        in_flight -= 1
        done.append(moment)
        targets.append((moment, pacing.target))
        while in_flight < pacing.target:
            start()
    return done, targets


def share_of_rate(done: list[float], start: float, end: float, rate: float = 196.0) -> float:
    return sum(start <= moment < end for moment in done) / (end - start) / rate
