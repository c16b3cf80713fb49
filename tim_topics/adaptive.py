"""AIMD: lower a command's rate when the service throttles anyway, probe back up slowly.

Our limiters keep every sliding 1-second window under the *configured* limit. The service
may still answer 10006 (or 60007, 60011, 60018, 60019): its real limit can be lower than
documented, a daily quota may be running out, or callers we do not know about share the
budget. :class:`AimdRate` then lowers the rate multiplicatively and raises it again
additively (AIMD, as TCP does), never above the configured rate.

The rule, measured against a strict sliding-window server at 120/s with a client
configured for 200/s (measured here; it settled in about 1 s at 0.94 of 120 with
0.07-0.14 % of calls answered 10006):

- On a throttled answer, cut to ``min(0.9 x rate, 0.95 x answers OK in the last second)``,
  never below ``min_rate``. The OK count is what the service actually admitted, so one cut
  lands just under its real limit; the 0.9 factor guarantees that every cut is a cut.
  The count is used only once answers have come for a whole second: at the start (or after
  a pause) of a far service, the first answers arrive a latency late, and a count of less
  than a second of them once cut the rate to a tenth. Until then a cut is the 0.9 factor.
- But when we run at the configured rate and the service admitted at least 0.95 of it in
  the last second, its limit is where we run: the 10006 is jitter at a window's edge (a
  few calls bunched by the network or a late event loop), not a lower limit, and a 10 %
  cut for it would cost a tenth of the rate for ten seconds. Then the cut is 2 %.
- At most one cut per 0.5 s: the calls already in flight when the first 10006 came back
  were sent at the old rate and come back throttled too; they must not cut again.
- Between cuts the rate grows linearly by ``recovery_per_second`` (default 1 % of the
  configured rate, about 2 calls/s per second at 200/s) until it reaches the configured
  rate again.

Everything here is pure arithmetic over an injectable clock, so tests need no sleeping.

Each cut and each return to the configured rate is one INFO line on the
``tim_topics.adaptive`` logger, naming the command (``name``) and the new rate; nothing is
logged per call.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable

from .errors import ValidationError

Clock = Callable[[], float]

logger = logging.getLogger(__name__)

CUT_FACTOR = 0.9
#: A throttle is jitter at a window's edge when we run at this share of the configured
#: rate or more, and the service admitted this share of our rate in the last second (the
#: answers of a second wobble by a few percent with the latency's jitter)...
NEAR_MAX_SHARE = 0.96
EDGE_SHARE = 0.95
#: ...and the factor of the cut then.
EDGE_CUT_FACTOR = 0.98
OK_SHARE = 0.95
CUT_INTERVAL = 0.5
RECOVERY_SHARE = 0.01


def _check_positive(field: str, value: float) -> None:
    if not value > 0:
        raise ValidationError(field, f"{field} is {value}, it must be above 0")


class AimdRate:
    """The adaptive rate of one command, in calls per second.

    ``max_rate`` is the configured rate: the rate starts there and never exceeds it.
    ``name`` (the command) labels the log lines of cuts and recoveries.
    """

    def __init__(
        self,
        max_rate: float,
        *,
        min_rate: float | None = None,
        recovery_per_second: float | None = None,
        cut_factor: float = CUT_FACTOR,
        ok_share: float = OK_SHARE,
        cut_interval: float = CUT_INTERVAL,
        clock: Clock = time.monotonic,
        name: str = "",
    ) -> None:
        _check_positive("max_rate", max_rate)
        self.max_rate = float(max_rate)
        self.min_rate = min(1.0, self.max_rate) if min_rate is None else float(min_rate)
        _check_positive("min_rate", self.min_rate)
        if self.min_rate > self.max_rate:
            raise ValidationError(
                "min_rate", f"min_rate is {self.min_rate}, above max_rate {self.max_rate}"
            )
        self.recovery_per_second = (
            self.max_rate * RECOVERY_SHARE if recovery_per_second is None else recovery_per_second
        )
        _check_positive("recovery_per_second", self.recovery_per_second)
        if not 0 < cut_factor < 1:
            raise ValidationError("cut_factor", f"cut_factor is {cut_factor}, it must be in (0, 1)")
        if not 0 < ok_share <= 1:
            raise ValidationError("ok_share", f"ok_share is {ok_share}, it must be in (0, 1]")
        if cut_interval < 0:
            raise ValidationError(
                "cut_interval", f"cut_interval is {cut_interval}, it must be >= 0"
            )
        self.cut_factor = cut_factor
        self.ok_share = ok_share
        self.cut_interval = cut_interval
        self._clock = clock
        # The rate is base_rate at base_time, growing linearly from there.
        self._base_rate = self.max_rate
        self._base_time = clock()
        self._last_cut: float | None = None
        self._below_max = False
        self.name = name
        self.cuts = 0

    def rate(self) -> float:
        """The current rate: the last cut plus the recovery since, at most ``max_rate``."""
        grown = self._base_rate + self.recovery_per_second * (self._clock() - self._base_time)
        if self._below_max and grown >= self.max_rate:
            self._below_max = False
            logger.info(
                "%s: rate back to the configured %.1f calls/s", self.name or "?", self.max_rate
            )
        return min(self.max_rate, grown)

    def throttled(self, ok_last_second: float | None) -> bool:
        """The service throttled a call although we kept to :meth:`rate`.

        ``ok_last_second`` is how many calls of this command the service answered without
        throttling in the last second (across every process sharing the budget), or None
        when that is not known yet (see the module doc). Returns
        True when the rate was cut, False when the call fell within the cut interval of the
        previous cut.
        """
        now = self._clock()
        if self._last_cut is not None and now - self._last_cut < self.cut_interval:
            return False
        current = self.rate()
        target = self.cut_factor * current
        if (
            ok_last_second is not None
            and current >= NEAR_MAX_SHARE * self.max_rate
            and ok_last_second >= EDGE_SHARE * current
        ):
            target = EDGE_CUT_FACTOR * current
        elif ok_last_second is not None:
            target = min(target, self.ok_share * max(ok_last_second, 0.0))
        self._base_rate = max(self.min_rate, target)
        self._base_time = now
        self._last_cut = now
        self.cuts += 1
        if self._base_rate < self.max_rate:
            self._below_max = True
            logger.info(
                "%s: throttled by the service: rate cut to %.1f calls/s (configured %.1f)",
                self.name or "?",
                self._base_rate,
                self.max_rate,
            )
        return True


class RecentCount:
    """How many events happened in the last ``window`` seconds (a sliding count)."""

    def __init__(self, window: float = 1.0, *, clock: Clock = time.monotonic) -> None:
        _check_positive("window", window)
        self.window = window
        self._clock = clock
        self._times: deque[float] = deque()
        self._since = 0.0

    def add(self) -> None:
        now = self._clock()
        self._forget_before(now - self.window)
        if not self._times:
            self._since = now  # a start, or the first event after a pause
        self._times.append(now)

    def count(self) -> int:
        self._forget_before(self._clock() - self.window)
        return len(self._times)

    def full_count(self) -> int | None:
        """The count, or None while the events (since the start, or since a pause of a
        whole window) began less than a window ago: then it is no rate yet."""
        now = self._clock()
        self._forget_before(now - self.window)
        if not self._times or now - self._since < self.window:
            return None
        return len(self._times)

    def _forget_before(self, cutoff: float) -> None:
        times = self._times
        while times and times[0] <= cutoff:
            times.popleft()
