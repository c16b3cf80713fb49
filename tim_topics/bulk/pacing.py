"""How many records the bulk importer keeps in flight: enough to carry the rate limit at
the latency it observes, no more.

Little's law: to run ``rate`` records per second when each takes ``W`` seconds, ``rate x W``
must be in flight. ``W`` is measured, not guessed: the mean time a record spends being
processed, over a short window. The target is ``rate x W x HEADROOM + EXTRA``, between a
floor and a ceiling (an explicit cap, else what the limit needs at the service's own 3 s
time-out).

Measured ``W`` includes the time a record waits for a limiter token. While the calls run
below the rate, that wait is nil and ``W`` is what the service (and settling) costs, so the
target follows it up. Once the calls reach the rate, ``W`` is inflated by the queue at the
limiter and says nothing about the service: then the target only shrinks, a little each
window, until the calls dip under the rate and the service's latency shows again. So the
target grows when the service slows down, and drifts down when it speeds up.

Growth is a step of 1.25x to 4x, and is kept only when it pays: when the calls did not
rise in the window after it, something else bounds them (the limiter's queue, the CPU, the
connections), and the target goes back to what it was. It grows again only when the call
rate falls clearly below what it was then (the service slowed down).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Final

import attrs

from ..endpoints import SERVICE_TIMEOUT

#: Records in flight at the start, before anything is measured (the old fixed default).
INITIAL_IN_FLIGHT: Final = 64
#: Never fewer in flight than this (unless capped lower).
FLOOR: Final = 4
#: In flight = rate x latency x HEADROOM + EXTRA.
HEADROOM: Final = 1.25
EXTRA: Final = 4
#: The ceiling leaves more room: a call the service takes its full 3 s over also waits for
#: the network and our own turn, and jitter spreads it further.
CEILING_HEADROOM: Final = 1.5
#: The most the target grows in one window.
MAX_GROWTH: Final = 4
#: Seconds over which latency and the call rate are measured, at the least.
WINDOW: Final = 1.0
#: The first window is shorter: it ends with the first record done after this. At 500 ms a
#: first window of a whole second ran a second at 64 / 0.5 = 128 calls/s, a twentieth of a
#: 2,000-record import.
FIRST_WINDOW: Final = 0.25
#: The calls run "at the rate" from this share of it up.
SATURATED: Final = 0.95
#: While at the rate, the target shrinks by this factor each window.
SHRINK: Final = 0.95
#: A target is "in use" when the mean in flight reached this share of it.
IN_USE: Final = 0.8
#: A growth by a factor g pays when the call rate rose by PAYOFF x (g - 1) after it, or
#: closed half its distance to the rate.
PAYOFF: Final = 0.3
#: After a growth that did not pay, the target grows again once the call rate fell below
#: this share of the rate then.
FALL: Final = 0.9


def ceiling_for(rate: float) -> int:
    """The most records ever in flight without a cap: what ``rate`` needs when every call
    takes the service's whole time-out."""
    return max(INITIAL_IN_FLIGHT, math.ceil(rate * SERVICE_TIMEOUT * CEILING_HEADROOM) + EXTRA)


@attrs.define
class ImportGauges:
    """Live figures of one import, for progress displays and tests (read-only for them)."""

    in_flight: int = 0
    """Records being processed now (sent, or about to be), not those waiting to settle."""
    peak_in_flight: int = 0
    """The most records in flight at once so far."""
    target: int = 0
    """Records the engine wants in flight now."""
    latency: float | None = None
    """Mean seconds a record took over the last window (limiter wait included)."""
    waiting: str | None = None
    """Why the import is paused (an outage), or None while it runs."""
    settling: int = 0
    """Records whose answer was lost, waiting to be settled (they hold no send slot)."""


class InFlightTarget:
    """Follows the observed latency to a target number of records in flight.

    The engine calls :meth:`started` and :meth:`finished` around each record; ``calls``
    reads the client's attempt counter (to see whether the calls reach the rate) and
    ``rate`` its current rate.
    """

    def __init__(
        self,
        rate: Callable[[], float],
        calls: Callable[[], int],
        *,
        cap: int | None,
        gauges: ImportGauges | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate
        self._calls = calls
        self._clock = clock
        self.ceiling = cap if cap is not None else ceiling_for(rate())
        self.floor = min(FLOOR, self.ceiling)
        self.gauges = gauges if gauges is not None else ImportGauges()
        self.gauges.target = min(INITIAL_IN_FLIGHT, self.ceiling)
        now = clock()
        self._window_start = now
        self._window_calls = calls()
        self._changed_at = now
        self._area = 0.0  # integral of in-flight over the window's time
        self._durations = 0.0
        self._finished = 0
        #: The target and the call rate before the last growth, while its effect is awaited.
        self._growth: tuple[int, float] | None = None
        #: The call rate when a growth did not pay; None when growing is allowed.
        self._plateau_rate: float | None = None

    @property
    def target(self) -> int:
        return self.gauges.target

    def started(self) -> float:
        """A record starts; returns the time to give :meth:`finished`."""
        now = self._clock()
        self._account(now)
        gauges = self.gauges
        gauges.in_flight += 1
        gauges.peak_in_flight = max(gauges.peak_in_flight, gauges.in_flight)
        return now

    def finished(self, started_at: float) -> None:
        """A record is done: count its time, and adjust the target once a window is full."""
        now = self._clock()
        self._account(now)
        self.gauges.in_flight -= 1
        self._durations += now - started_at
        self._finished += 1
        span = now - self._window_start
        latency = self.gauges.latency
        if span >= (FIRST_WINDOW if latency is None else max(WINDOW, latency)):
            self._adjust(now, span)

    def _account(self, now: float) -> None:
        self._area += self.gauges.in_flight * (now - self._changed_at)
        self._changed_at = now

    def _adjust(self, now: float, span: float) -> None:
        gauges = self.gauges
        latency = self._durations / self._finished
        mean_in_flight = self._area / span
        calls = self._calls()
        call_rate = (calls - self._window_calls) / span
        rate = self._rate()
        gauges.latency = latency
        target = wanted = gauges.target
        growth, self._growth = self._growth, None
        if growth is not None and not _paid(growth, target, call_rate, rate):
            # More in flight did not raise the calls: go back, and hold there.
            wanted = growth[0]
            self._plateau_rate = max(call_rate, growth[1])
        elif call_rate >= SATURATED * rate:
            # At the rate: the latency holds the limiter's queue; probe downwards.
            wanted = math.floor(target * SHRINK)
            self._plateau_rate = None
        elif mean_in_flight >= IN_USE * target and (
            self._plateau_rate is None or call_rate < FALL * self._plateau_rate
        ):
            # Below the rate with the target in use: Little's law on what we saw.
            self._plateau_rate = None
            needed = math.ceil(rate * latency * HEADROOM) + EXTRA
            wanted = min(MAX_GROWTH * target, max(math.ceil(target * 1.25), needed))
        # else: the input (or the consumer) is the bottleneck, not the target
        gauges.target = max(self.floor, min(self.ceiling, wanted))
        if gauges.target > target:
            self._growth = (target, call_rate)
        self._window_start = now
        self._window_calls = calls
        self._area = 0.0
        self._durations = 0.0
        self._finished = 0


def _paid(growth: tuple[int, float], target: int, call_rate: float, rate: float) -> bool:
    """Whether growing from ``growth`` (target, call rate before) to ``target`` raised the
    call rate enough to be worth it."""
    before_target, before_rate = growth
    proportional = before_rate * (1 + PAYOFF * (target / before_target - 1))
    halfway = before_rate + (rate - before_rate) / 2
    return call_rate >= min(proportional, halfway)
