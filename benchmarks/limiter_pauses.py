"""What the collector's stops cost the in-process limiter, without the noise: a what-if.

On a virtual clock (no I/O, no real time), with the limiter tests' own helper
(``tests/support/pauses.py``), 100 callers take tokens of one command for ``--seconds`` while the loop stops as Python's collector stops
a process with a thousand calls in flight (measured at 1 s latency with ``gc.callbacks``): a
stop of 1.5 ms every 45 ms (young collections), one of 20-70 ms every 11th (middle ones) and
one of 80-130 ms every 120th (full ones), seeded. It prints the calls admitted per second
(the first two and the last seconds left out) / 200, and the most admitted in any sliding
second, for the limiter as it is and for two changes tried in ``bench_far`` and not kept
(see "Tried and not kept" in ``benchmarks/README.md``): keeping what a stop owes when the
window is full, and a bank of 0.15 s. They catch up more here; against a service that counts
arrivals a little late, their heaps went over the limit.

Run: ``python -m benchmarks.limiter_pauses`` (a few seconds).
"""

from __future__ import annotations

import argparse
import contextlib
import random
from collections.abc import Callable, Iterator
from typing import Any, Final

from tests.support.pauses import admit_with_pauses
from tests.support.virtual_clock import VirtualClockLoop
from tests.support.windows import max_in_window
from tim_topics import limiter

from .common import LIMIT

#: (every how many young stops, shortest, longest seconds) of the longer stops.
MIDDLE: Final = (11, 0.02, 0.07)
FULL: Final = (120, 0.08, 0.13)
YOUNG_EVERY: Final = 0.045
YOUNG_STOP: Final = 0.0015


@contextlib.contextmanager
def as_is() -> Iterator[None]:
    yield


@contextlib.contextmanager
def debt_kept_when_full() -> Iterator[None]:
    """What a stop owes is kept when the window is full (the limiter forgets it there)."""
    taken = limiter.MissedTokens.taken

    def keep(self: Any, now: float, rate: float, *, window_full: bool, owed: bool = False) -> None:
        taken(self, now, rate, window_full=False, owed=owed)

    limiter.MissedTokens.taken = keep  # type: ignore[method-assign]
    try:
        yield
    finally:
        limiter.MissedTokens.taken = taken  # type: ignore[method-assign]


@contextlib.contextmanager
def bank_of_015() -> Iterator[None]:
    """The bucket banks 0.15 s of tokens for a late loop (30 ms as it is)."""
    banked = limiter.LATENESS_BANKED
    limiter.LATENESS_BANKED = 0.15
    try:
        yield
    finally:
        limiter.LATENESS_BANKED = banked


VARIANTS: Final[dict[str, Callable[[], contextlib.AbstractContextManager[None]]]] = {
    "as it is": as_is,
    "debt kept when the window is full": debt_kept_when_full,
    "bank of 0.15 s": bank_of_015,
}


def stop_schedule(seed: int) -> Callable[[int], float]:
    """The length of the n-th stop: a young collection's, or every 11th a middle one's and
    every 120th a full one's (seeded)."""
    chosen = random.Random(seed)

    def stop(n: int) -> float:
        length = YOUNG_STOP
        for every, shortest, longest in (MIDDLE, FULL):
            if n % every == 0:
                length = chosen.uniform(shortest, longest)
        return length

    return stop


def figures(moments: list[float], seconds: float) -> tuple[float, int]:
    """(admitted per second between 2 s and the last second / the limit, busiest second)."""
    middle = [m for m in moments if 2.0 <= m < seconds - 1.0]
    return len(middle) / (seconds - 3.0) / LIMIT, max_in_window(moments, 1.0 - 1e-9)


def run(variant: str, seconds: float, seed: int) -> tuple[float, int]:
    loop = VirtualClockLoop()
    try:
        with VARIANTS[variant]():
            admitted = admit_with_pauses(
                limiter.LocalLimiter(LIMIT),
                seconds=seconds,
                every=YOUNG_EVERY,
                pause=stop_schedule(seed),
            )
            return figures(loop.run_until_complete(admitted), seconds)
    finally:
        loop.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="virtual seconds a run")
    parser.add_argument("--seeds", type=int, default=3, help="runs per variant")
    args = parser.parse_args(argv)
    for variant in VARIANTS:
        results = [run(variant, args.seconds, seed) for seed in range(args.seeds)]
        rates = ", ".join(f"{rate:.3f}" for rate, _ in results)
        busiest = max(b for _, b in results)
        print(f"{variant:<36} admitted / limit: {rates}; busiest second {busiest}", flush=True)


if __name__ == "__main__":
    main()
