"""A virtual clock for timing tests without I/O: an event loop whose time jumps to the next
timer whenever nothing is ready to run, so sleeps and rate limits take no real time and
their bounds are exact, however loaded the machine is.

(The ``looptime`` plugin does the same, but its release for Python 3.10 spins forever on
our limiter's timers; this loop is small enough to own.)
"""

from __future__ import annotations

import asyncio
import functools
import heapq
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
#: How far time moves when only an already-due timer waits.
TICK = 1e-6
R = TypeVar("R")


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """``time()`` starts at 0 and moves only when every task waits for a timer."""

    def __init__(self) -> None:
        super().__init__()
        self._virtual_now = 0.0

    def time(self) -> float:
        return self._virtual_now

    def busy(self, seconds: float) -> None:
        """The running callback works for ``seconds``: time moves on, nothing else runs."""
        self._virtual_now += seconds

    def _run_once(self) -> None:
        scheduled: list[Any] = self._scheduled  # type: ignore[attr-defined]
        while scheduled and scheduled[0]._cancelled:  # drop cancelled timers, as the base does
            handle = heapq.heappop(scheduled)
            handle._scheduled = False
            self._timer_cancelled_count -= 1  # type: ignore[attr-defined]
        if not self._ready and scheduled:  # type: ignore[attr-defined]
            due = scheduled[0]._when
            # A timer due now that finds nothing to do re-arms itself for "now" again when
            # its sum rounds down (aiolimiter's does): let a microsecond pass, as any real
            # clock would, so that it sees time move.
            self._virtual_now = due if due > self._virtual_now else self._virtual_now + TICK
        super()._run_once()  # type: ignore[misc]


def on_virtual_clock(
    test: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, R]:
    """Run an async test function to completion on a fresh :class:`VirtualClockLoop`."""

    @functools.wraps(test)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        loop = VirtualClockLoop()
        try:
            return loop.run_until_complete(test(*args, **kwargs))
        finally:
            loop.close()

    return run
