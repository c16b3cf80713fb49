"""Per-command rate limiting that keeps every sliding 1-second window under the limit.

The service allows ``limit`` calls of each command in any 1-second window (we assume the
strictest, sliding, window). A token bucket of capacity ``b`` (the burst) filled at ``r``
tokens/s lets at most ``b + r * T`` calls through in any window of ``T`` seconds. So
``b + r <= limit`` keeps every 1-second window at or under the limit. A plain
``AsyncLimiter(200, 1)`` has ``b = r = 200``: about 400 calls in its first second.

We use aiolimiter's leaky bucket at a rate of ``(limit - burst) * 0.99`` with ``burst`` 2
(1 for limits under 100): the 1 % is headroom for arrival jitter (a call sent a few
milliseconds late lands in the next window, bunching with the ones after it). At 200/s
this is 196 tokens a second.

A bucket that holds only 2 tokens loses rate whenever the event loop is late: a pump woken
20 ms late finds 2 tokens where 4 were due, and the other 2 are gone. Under load (hundreds
of answers a second, a busy app) that cost a tenth of the rate. So the local bucket banks
up to :data:`LATENESS_BANKED` seconds of tokens (6 at 196/s), and an exact log of the last
second's tokens (:class:`~tim_topics.send_window.SendWindow`, capped by
:func:`~tim_topics.send_window.window_cap`) keeps what a late pump catches up inside the
window: bursty only after lateness, never over the limit. A loop stopped for longer than
that (Python's collector with a thousand calls in flight) owes its waiting callers the
tokens it kept from them, up to :data:`CATCH_UP` seconds of them, handed out thinly beside
the bucket's (:class:`MissedTokens`).

Adaptive rate (``adaptive=True``, the default): when the service throttles anyway,
:class:`~tim_topics.adaptive.AimdRate` lowers the command's rate ``r'`` (never above the
configured ``r``, so ``b + r' <= limit`` still holds and the burst stays ``b``). An
``AsyncLimiter``'s rate is fixed at construction (only its private ``_rate_per_sec`` could
change it), so we replace the bucket instead, and do it where that is safe:

- Callers that must wait queue (FIFO, cancellation-safe) for one pump task, the only task
  that ever waits inside the bucket. A new rate is therefore applied by the pump between
  two acquisitions, when no one waits in the old bucket: no waiter is stranded at the old
  rate and no two buckets admit calls side by side.
- The new bucket starts at the old bucket's level, bounded from above: right after the
  last admission the level was at most ``b``, and it has leaked at the old rate since.
  Under load (when the rate matters) the bucket was full at each admission, so the bound
  is exact; when idle it errs on the slow side. The switch thus adds no burst, and a
  window spanning it sees at most ``b + max(r_old, r_new)`` calls.
- The bucket is replaced on every cut, and while the rate recovers, each time it has grown
  by 1 % (or reached the configured rate), not on every call.

The bucket's time comes from the event loop's clock (aiolimiter uses ``loop.time()``); the
window's from :func:`~tim_topics.send_window.clock_of` (the monotonic clock on loops, such
as uvloop, whose ``time()`` is cached per turn).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from aiolimiter import AsyncLimiter

from .adaptive import AimdRate, RecentCount
from .errors import ValidationError
from .send_window import SendWindow, clock_of, window_cap

JITTER_HEADROOM = 0.99
#: A recovering rate replaces the bucket once it has grown by this share.
REBUILD_STEP = 0.01
#: Seconds of tokens the local bucket banks for a late event loop (see the module doc).
LATENESS_BANKED = 0.03
#: Seconds of tokens a loop stopped for longer than that may catch up (:class:`MissedTokens`).
CATCH_UP = 0.15
#: ...handed out at most this share of the rate above it.
CATCH_UP_PACE = 0.1


def bucket_shape(limit: float) -> tuple[int, float]:
    """(burst, rate per second) of a token bucket that keeps any 1-second window under
    ``limit`` calls."""
    if limit <= 0:
        raise ValidationError("rate_limit", f"rate_limit is {limit}, it must be above 0")
    burst = 2 if limit >= 100 else 1
    rate = (limit - burst) * JITTER_HEADROOM if limit > burst else limit * JITTER_HEADROOM / 2
    return burst, rate


def local_shape(limit: float) -> tuple[int, float, int]:
    """(tokens banked, rate per second, most tokens in any sliding second) of the local
    limiter's bucket for ``limit``: :func:`bucket_shape`'s rate, a bank for a late event
    loop, and the exact window (see the module doc)."""
    burst, rate = bucket_shape(limit)
    return max(burst, round(rate * LATENESS_BANKED)), rate, window_cap(limit)


class MissedTokens:
    """The tokens a late event loop kept from callers that were waiting for them.

    While callers wait, the pump's tokens follow a schedule: one every ``1 / rate`` seconds.
    When the loop stops for longer than the bucket's bank (Python's collector stops a
    process with a thousand calls in flight for 40-120 ms), the schedule falls behind the
    clock, and the tokens it owes (up to :data:`CATCH_UP` seconds of them) are handed out
    beside the bucket's, thinly: at most :data:`CATCH_UP_PACE` times the rate more. Handed
    out at once, they would leave as a heap (every command of a process stops together),
    and a heap that the service counts a little late lands in its next second. What is
    owed is forgotten when the callers stop waiting (idleness is not lateness), and when
    the window is full: the window then paces the calls, and a debt kept there would hold
    the command at the window's edge for good (an import with lost answers was then
    counted 202 in a second, with two answers of 10006).
    """

    def __init__(self) -> None:
        self._due = 0.0
        self._next = 0.0

    def start(self, now: float) -> None:
        """Callers began to wait: nothing is owed yet."""
        self._due = self._next = now

    def missed(self, now: float, rate: float) -> bool:
        """Whether a token the schedule owes may be handed out at ``now``."""
        return now - self._due >= 1 / rate and now >= self._next

    def taken(self, now: float, rate: float, *, window_full: bool, owed: bool = False) -> None:
        """A token was taken at ``now`` (``owed``: one the schedule owed): the schedule
        moves on by one."""
        due = max(self._due, now - CATCH_UP) + 1 / rate
        # Never ahead of the clock: a bucket that handed out its bank early (when callers
        # began to wait) would otherwise hide as much of every later lateness.
        self._due = now if window_full else min(due, now)
        if owed:
            self._next = now + 1 / (rate * CATCH_UP_PACE)


@runtime_checkable
class Limiter(Protocol):
    """What the client needs of a rate limiter: one budget per command.

    ``acquire`` waits until one call of ``command`` may be sent, and is cancellation-safe
    (a cancelled waiter takes no token). ``feedback`` tells the limiter how an answer went,
    so an adaptive limiter can slow down when the service throttles anyway.
    """

    async def acquire(self, command: str) -> None: ...

    def feedback(self, command: str, *, throttled: bool) -> None: ...

    def effective_rate(self, command: str) -> float: ...

    async def aclose(self) -> None: ...


class _CommandBudget:
    """The bucket of one command, and its adaptive rate when there is one.

    Callers that find no token do not wait inside the bucket one by one: they queue (FIFO)
    for one *pump* task, the bucket's only waiter, which takes each token as it comes and
    hands it to the first caller still waiting. When the event loop is busy (hundreds of
    answers arriving each turn) a chain of waiters woken one per loop turn would cap a
    command at the loop's turns per second, far under its rate; the pump hands out every
    token available in the same turn. It also makes the rate change safe (the module doc):
    only the pump ever waits in the bucket, so a new bucket never strands a waiter. The pump
    ends when no one waits, so no task outlives the work.
    """

    def __init__(self, limit: float, *, adaptive: bool, command: str = "") -> None:
        self.burst, self.max_rate, cap = local_shape(limit)
        self.window = SendWindow(cap)
        self.aimd = AimdRate(self.max_rate, name=command) if adaptive else None
        self.answered_ok = RecentCount()
        self._rate = self.max_rate
        self._bucket = AsyncLimiter(self.burst, self.burst / self._rate)
        self._last_admitted: float | None = None
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._pump: asyncio.Task[None] | None = None
        self._owed = MissedTokens()

    async def acquire(self) -> None:
        if self._pump is None and not self._waiting and self._bucket.has_capacity():
            await self._take()  # a token is there: no wait, no yield
            return
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()
        self._waiting.append(turn)
        if self._pump is None:
            self._pump = loop.create_task(self._hand_out())
        await turn  # cancelled: the pump skips it, and its token goes to the next caller

    async def _take(self) -> None:
        """One token, at the rate in force (the bucket is replaced first if it changed)."""
        if self.aimd is not None:
            target = self.aimd.rate()
            if target != self._rate:
                await self._follow_rate(target)
        await self._bucket.acquire()
        loop = asyncio.get_running_loop()
        if not self.window.try_enter(clock_of(loop)()):
            await self.window.enter()
        self._last_admitted = loop.time()

    async def _hand_out(self) -> None:
        waiting = self._waiting
        self._owed.start(asyncio.get_running_loop().time())
        try:
            while True:
                while waiting and waiting[0].done():
                    waiting.popleft()  # cancelled while queued
                if not waiting:
                    return
                await self._take_or_catch_up()
                while waiting and waiting[0].done():
                    waiting.popleft()
                if waiting:
                    waiting.popleft().set_result(None)
                # else: everyone left while the token came; it is not used (never doubled)
        finally:
            self._pump = None

    async def _take_or_catch_up(self) -> None:
        """The pump's token: the bucket's when it has one, else one a late loop missed
        (:class:`MissedTokens`), else the bucket's when it comes."""
        loop = asyncio.get_running_loop()
        window_clock = clock_of(loop)
        owed = self._owed
        now = loop.time()
        catching_up = (
            self._rate >= self.max_rate
            and owed.missed(now, self._rate)
            and not self._bucket.has_capacity()
            and self._at_configured_rate()  # not below a cut: the service may allow no more
            and self.window.try_enter(window_clock())
        )
        if catching_up:
            self._last_admitted = now
        else:
            await self._take()
            now = loop.time()
        full = self.window.is_full(window_clock())
        owed.taken(now, self._rate, window_full=full, owed=catching_up)

    def _at_configured_rate(self) -> bool:
        """Whether the adaptive rate, if any, is the configured one: its latest word (the
        bucket follows a cut only at the pump's next bucket token, and a missed token due
        before that must not go at the old rate)."""
        return self.aimd is None or self.aimd.rate() >= self.max_rate

    async def _follow_rate(self, target: float) -> None:
        """Replace the bucket when ``target`` was cut, or has grown enough (see module doc)."""
        current = self._rate
        grown_enough = target >= min(self.max_rate, current * (1 + REBUILD_STEP))
        if target == current or not (target < current or grown_enough):
            return
        level = 0.0
        if self._last_admitted is not None:
            idle = asyncio.get_running_loop().time() - self._last_admitted
            level = max(0.0, self.burst - idle * current)
        bucket = AsyncLimiter(self.burst, self.burst / target)
        await bucket.acquire(level)  # a fresh bucket has room for up to `burst`: no wait
        self._bucket, self._rate = bucket, target

    def feedback(self, *, throttled: bool) -> None:
        if self.aimd is None:
            return
        if throttled:
            self.aimd.throttled(self.answered_ok.full_count())
        else:
            self.answered_ok.add()

    def effective_rate(self) -> float:
        return self.max_rate if self.aimd is None else self.aimd.rate()


class LocalLimiter:
    """The in-process limiter: one aiolimiter bucket per command, shaped by
    :func:`bucket_shape` so no sliding 1-second window carries more than ``rate_limit``.

    With ``adaptive=True`` each command's rate is lowered when the service throttles anyway,
    and recovers slowly (see :mod:`tim_topics.adaptive`); ``adaptive=False`` keeps it fixed.
    """

    def __init__(
        self,
        rate_limit: float = 200,
        *,
        per_command: Mapping[str, float] | None = None,
        adaptive: bool = True,
    ):
        self._default = float(rate_limit)
        bucket_shape(self._default)  # validates
        self._limits = {cmd: float(v) for cmd, v in (per_command or {}).items()}
        for value in self._limits.values():
            bucket_shape(value)
        self.adaptive = adaptive
        self._budgets: dict[str, _CommandBudget] = {}

    def limit(self, command: str) -> float:
        """The configured calls-per-second limit of ``command``."""
        return self._limits.get(command, self._default)

    def configured_rate(self, command: str) -> float:
        """The bucket rate of ``command`` when nothing throttles (196.02 for a 200 limit)."""
        return bucket_shape(self.limit(command))[1]

    def _budget(self, command: str) -> _CommandBudget:
        budget = self._budgets.get(command)
        if budget is None:
            budget = self._budgets[command] = _CommandBudget(
                self.limit(command), adaptive=self.adaptive, command=command
            )
        return budget

    async def acquire(self, command: str) -> None:
        await self._budget(command).acquire()

    def feedback(self, command: str, *, throttled: bool) -> None:
        """Count an answer; a throttled one may cut the rate (only with ``adaptive``)."""
        self._budget(command).feedback(throttled=throttled)

    def effective_rate(self, command: str) -> float:
        """The rate ``command`` runs at now, calls per second."""
        budget = self._budgets.get(command)
        return self.configured_rate(command) if budget is None else budget.effective_rate()

    async def aclose(self) -> None:
        """Nothing to release: waiters are cancelled with their tasks."""
