"""Per-command rate limiting that keeps every sliding 1-second window under the limit.

The service allows ``limit`` calls of each command in any 1-second window (we assume the
strictest, sliding, window). A token bucket of capacity ``b`` (the burst) filled at ``r``
tokens/s lets at most ``b + r * T`` calls through in any window of ``T`` seconds. So
``b + r <= limit`` keeps every 1-second window at or under the limit. A plain
``AsyncLimiter(200, 1)`` has ``b = r = 200``: about 400 calls in its first second.

We use aiolimiter's leaky bucket with a burst of 2 (1 for limits under 100) and a rate of
``(limit - burst) * 0.99``: the 1 % is headroom for arrival jitter (a call sent a few
milliseconds late lands in the next window, bunching with the ones after it). At 200/s
this is a burst of 2 at 196/s. A burst of 1 would lose rate: aiolimiter cannot bank a
late timer when its level is already 0; a burst of 2 absorbs that lateness.

Time comes from the event loop's clock (aiolimiter uses ``loop.time()``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from aiolimiter import AsyncLimiter

from .errors import ValidationError

JITTER_HEADROOM = 0.99


def bucket_shape(limit: float) -> tuple[int, float]:
    """(burst, rate per second) of a token bucket that keeps any 1-second window under
    ``limit`` calls."""
    if limit <= 0:
        raise ValidationError("rate_limit", f"rate_limit is {limit}, it must be above 0")
    burst = 2 if limit >= 100 else 1
    rate = (limit - burst) * JITTER_HEADROOM if limit > burst else limit * JITTER_HEADROOM / 2
    return burst, rate


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


class LocalLimiter:
    """The in-process limiter: one aiolimiter bucket per command, shaped by
    :func:`bucket_shape` so no sliding 1-second window carries more than ``rate_limit``."""

    def __init__(self, rate_limit: float = 200, *, per_command: Mapping[str, float] | None = None):
        self._default = float(rate_limit)
        bucket_shape(self._default)  # validates
        self._limits = {cmd: float(v) for cmd, v in (per_command or {}).items()}
        for value in self._limits.values():
            bucket_shape(value)
        self._buckets: dict[str, AsyncLimiter] = {}

    def limit(self, command: str) -> float:
        """The configured calls-per-second limit of ``command``."""
        return self._limits.get(command, self._default)

    def _bucket(self, command: str) -> AsyncLimiter:
        bucket = self._buckets.get(command)
        if bucket is None:
            burst, rate = bucket_shape(self.limit(command))
            bucket = self._buckets[command] = AsyncLimiter(burst, burst / rate)
        return bucket

    async def acquire(self, command: str) -> None:
        await self._bucket(command).acquire()

    def feedback(self, command: str, *, throttled: bool) -> None:
        """Fixed-rate limiter: answers do not change the rate."""

    def effective_rate(self, command: str) -> float:
        return bucket_shape(self.limit(command))[1]

    async def aclose(self) -> None:
        """Nothing to release: waiters are cancelled with their tasks."""
