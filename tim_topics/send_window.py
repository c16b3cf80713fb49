"""An exact count of the calls of one command in the last second, and a wait for room.

The service allows ``limit`` calls of a command in any sliding second. A token bucket keeps
its *tokens* inside that, but what the service counts is *requests*, and between a token and
its request's bytes the event loop may be late: a loop busy for 30 ms delays the requests
of that time and sends them together, and a late limiter that banks the tokens it missed
sends them together too. A log of the last second's moments is exact whatever the timing:
a call waits while ``cap`` of them are less than a second old.

The limiter keeps one for its tokens (so a late loop may catch up what it missed, never
more than the window allows), and the request path one for the moments requests get their
connection, right before aiohttp writes them (so bunching after the token is caught too).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Final

from .errors import ValidationError

#: The seconds a call is counted for: the service's second and 15 ms more. What the service
#: counts is arrivals, and they lag our sends by varying amounts (the network, the service's
#: own turns): a burst that arrived 15 ms late, counted with the sends of a second later,
#: is still inside one of our windows. Measured: an emulator on its own loop counted up to
#: 204 in a second from sends that never put more than 195 in one.
PERIOD: Final = 1.015
#: The share of the limit kept free in every window, besides that time: 1 call at 200/s.
MARGIN: Final = 0.005


def window_cap(limit: float) -> int:
    """The most calls let into any :data:`PERIOD` for ``limit`` calls per second: the
    limit less :data:`MARGIN` (and at least one call less), and at least one."""
    if limit <= 0:
        raise ValidationError("rate_limit", f"rate_limit is {limit}, it must be above 0")
    return max(1, min(math.ceil(limit) - 1, math.floor(limit * (1 - MARGIN))))


#: Catching up after a pause is spread: in any :data:`SHORT_PERIOD`, at most
#: :data:`SURGE` times the window's mean rate. A loop paused for 0.15 s (a garbage
#: collection) had 30 requests of each command ready at once; all written together, they
#: reached a busy service as one heap, which it counted late and then together with the
#: next ones (up to 9 more in a second than were sent).
SHORT_PERIOD: Final = 0.05
SURGE: Final = 1.5


class SendWindow:
    """The moments of the calls let through in the last :data:`PERIOD`, at most ``cap``
    (and at most ``short_cap`` in the last :data:`SHORT_PERIOD`)."""

    def __init__(self, cap: int) -> None:
        if cap < 1:
            raise ValidationError("cap", f"cap is {cap}, it must be at least 1")
        self.cap = cap
        self.short_cap = math.ceil(cap * SHORT_PERIOD * SURGE)
        self._moments: deque[float] = deque()
        self.waits = 0
        """Calls that found the window full and waited (bunching caught)."""

    def _recent(self, now: float) -> deque[float]:
        """The moments less than :data:`PERIOD` old at ``now`` (older ones forgotten)."""
        moments = self._moments
        horizon = now - PERIOD
        while moments and moments[0] <= horizon:
            moments.popleft()
        return moments

    def delay(self, now: float) -> float:
        """Seconds until a call may go (0 when there is room now)."""
        moments = self._recent(now)
        count = len(moments)
        wait = 0.0
        if count >= self.short_cap:
            wait = moments[count - self.short_cap] + SHORT_PERIOD - now
        if count >= self.cap:
            wait = max(wait, moments[count - self.cap] + PERIOD - now)
        return max(wait, 0.0)

    def is_full(self, now: float) -> bool:
        """Whether ``cap`` calls are less than :data:`PERIOD` old at ``now``."""
        return len(self._recent(now)) >= self.cap

    def try_enter(self, now: float) -> bool:
        """Count a call at ``now`` if there is room; False (nothing counted) when full."""
        if self.delay(now) > 0:
            return False
        self._moments.append(now)
        return True

    async def enter(self) -> float:
        """Wait for room, then count this call now; returns the moment it was counted at.
        Cancellation-safe: a call cancelled while waiting is not counted."""
        clock = clock_of(asyncio.get_running_loop())
        now = clock()
        wait = self.delay(now)
        if wait > 0:
            self.waits += 1
            while wait > 0:
                await asyncio.sleep(wait)
                now = clock()
                wait = self.delay(now)
        self._moments.append(now)
        return now

    def left_at(self, counted: float, now: float) -> None:
        """The call counted at ``counted`` left only at ``now``: count it then instead.

        Between the count and the bytes the event loop may stop (a garbage collection
        pauses it for 0.1-0.2 s); such a call reaches the service late, inside a later
        second than its count said. Nothing else can be counted while the loop is stopped,
        so moving the call to the moment it left keeps every window exact.
        """
        if now <= counted:
            return
        moments = self._moments
        if moments and moments[-1] == counted:
            moments[-1] = now  # the usual case: no call was counted since
            return
        try:
            moments.remove(counted)  # any call counted at that same moment is the same
        except ValueError:
            pass  # over a period ago, already forgotten
        moments.append(now)


def clock_of(loop: asyncio.AbstractEventLoop) -> Callable[[], float]:
    """The clock to stamp calls with: asyncio's own loops read the monotonic clock (or a
    test's virtual one) at each call of ``time()``; other loops may not (uvloop's ``time()``
    is the start of the current turn, which a busy turn leaves tens of milliseconds behind),
    so for them the monotonic clock itself."""
    return loop.time if isinstance(loop, asyncio.BaseEventLoop) else time.monotonic
