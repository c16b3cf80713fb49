"""The exact sliding-window rate limit of one command.

The service allows ``limit`` calls of a command in any 1-second window; we emulate the
strictest reading, a sliding window. A call arriving at time ``t`` is admitted when fewer
than ``limit`` calls were admitted in ``(t - 1, t]``; a refused call is not counted, so it
does not push later calls out. Admitted arrival times are kept in a deque (at most
``limit`` of them), which makes each check O(1) amortised.

The busiest window always ends at an admitted arrival, so the deque's length right after an
admission, maximised over all admissions, is the exact peak of any sliding 1-second window.

Every arrival, admitted or refused, is also kept for one second in a second deque, whose
peak is the busiest sliding second of what the client sent: the admitted peak can never
pass the limit, this one shows by how much a client overshot it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 1.0


class SlidingWindow:
    """Admits at most ``limit`` calls in any sliding 1-second window.

    ``clock`` returns seconds (monotonic); tests pass a fake clock instead of sleeping.
    """

    def __init__(self, limit: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._check_limit(limit)
        self._limit = limit
        self._clock = clock
        self._admitted: deque[float] = deque()
        self._peak = 0
        self._arrived: deque[float] = deque()
        self._arrival_peak = 0

    @staticmethod
    def _check_limit(limit: int) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"rate_limit must be an int of at least 1, got {limit!r}")

    @property
    def limit(self) -> int:
        """Calls admitted per sliding second."""
        return self._limit

    @limit.setter
    def limit(self, value: int) -> None:
        self._check_limit(value)
        self._limit = value

    @property
    def peak(self) -> int:
        """The most calls admitted in any sliding 1-second window so far."""
        return self._peak

    @property
    def arrival_peak(self) -> int:
        """The most calls that arrived, admitted or refused, in any sliding 1-second window
        so far: the rate the client really sent at."""
        return self._arrival_peak

    def reset_peak(self) -> None:
        """Forget the peaks (the admitted history stays, so limiting stays exact)."""
        self._peak = 0
        self._arrival_peak = 0

    def in_window(self) -> int:
        """How many admitted calls the window ending now holds."""
        self._expire(self._clock())
        return len(self._admitted)

    def try_admit(self) -> bool:
        """Admit one call arriving now, or refuse it (True when admitted)."""
        now = self._clock()
        self._expire(now)
        arrived = self._arrived
        arrived.append(now)
        if len(arrived) > self._arrival_peak:
            self._arrival_peak = len(arrived)
        admitted = self._admitted
        if len(admitted) >= self._limit:
            return False
        admitted.append(now)
        if len(admitted) > self._peak:
            self._peak = len(admitted)
        return True

    def _expire(self, now: float) -> None:
        admitted = self._admitted
        horizon = now - WINDOW_SECONDS
        while admitted and admitted[0] <= horizon:
            admitted.popleft()
        arrived = self._arrived
        while arrived and arrived[0] <= horizon:
            arrived.popleft()
