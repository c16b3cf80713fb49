"""A rate limiter shared through Redis: every process using the same Redis and key prefix
draws on one budget per command.

The service's limit is per app, not per process: eight workers with eight in-process
buckets send eight times the limit. :class:`RedisLimiter` books each call's slot in Redis
with GCRA (the generic cell rate algorithm), in one Lua script, atomically, on Redis's own
clock (``TIME``), so the clocks of the machines involved do not matter.

GCRA, booking variant. Per command Redis keeps one number, the theoretical arrival time
``TAT`` (microseconds): the time at which the budget would be free again if every booked
call went out at exactly the rate ``r``. With the emission interval ``T = 1/r`` and the
burst tolerance ``tau = (b - 1) * T`` (``b`` the burst, as in :mod:`tim_topics.limiter`),
one call does::

    now  = Redis TIME
    tat  = max(TAT, now)
    slot = tat - tau              # the earliest time this call may go
    wait = max(0, slot - now)     # returned: the caller sleeps this long, then sends
    TAT  = tat + T                # the next caller books the slot after this one

Every call books a slot at once (one Redis round trip, no check-and-retry loop). Slots
handed out while the budget is busy are ``T`` apart, and ``tau`` lets at most ``b`` of them
fall together after a pause, so any window of ``W`` seconds holds at most ``b + r * W``
slots: with :func:`~tim_topics.limiter.bucket_shape`'s ``b + r <= limit`` no sliding
1-second window sees more than the limit, across all processes. Times are whole
microseconds throughout: Lua numbers are doubles (exact to 2**53, about 285 years of
microseconds), ``tostring`` would print them in exponent form, and fractional script
results are truncated, so the script stores ``string.format('%d', ...)`` and returns
integers. ``TIME`` inside a script needs Redis >= 5.

Each call passes its own ``T`` and ``tau``, so an adaptive cut (:mod:`tim_topics.adaptive`)
in one process takes effect at once: its calls take a longer stretch of the shared
timeline. The adaptive rule needs the calls answered OK in the last second *by the whole
app*, not by this process alone; so each call also reports this process's OK answers since
its previous call, and the script keeps them per whole second and returns the usual
sliding estimate ``current + previous * (1 - elapsed share of the current second)``.

In each process one task at a time books and sleeps per command (an ``asyncio.Lock``):
a process has at most one booked slot waiting per command, a rate cut applies from the
next call, and Redis sees at most one call per admitted call. Cancellation: a task
cancelled while waiting for the lock takes nothing; one cancelled after booking (during the
Redis call or the sleep) loses its slot. The slot is not given back: that would need a
second round trip from a cancelled task, and a lost slot only leaves a few milliseconds of
budget unused, which is safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .adaptive import AimdRate
from .errors import TimTopicsError, ValidationError
from .limiter import LocalLimiter, bucket_shape
from .redaction import misread_credentials, redact_url, scrub, url_secrets

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

logger = logging.getLogger(__name__)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

#: KEYS[1] the command's TAT; KEYS[2] a hash of OK answers per second (s, c, p).
#: ARGV[1] T, ARGV[2] tau (whole microseconds); ARGV[3] OK answers to report, optional.
#: Returns {wait in microseconds, OK answers of the app in the last second}.
GCRA_SCRIPT = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])

local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next_tat),
           'PX', string.format('%d', math.floor((next_tat - now) / 1000) + 1000))

local ok_last_second = 0
if #ARGV >= 3 then
    local second = math.floor(now / 1000000)
    local stored = redis.call('HMGET', KEYS[2], 's', 'c', 'p')
    local stored_second = tonumber(stored[1]) or -1
    local current = tonumber(stored[2]) or 0
    local previous = tonumber(stored[3]) or 0
    local reported = tonumber(ARGV[3])
    if stored_second == second then
        current = current + reported
    elseif stored_second == second - 1 then
        previous = current
        current = reported
    else
        previous = 0
        current = reported
    end
    if reported > 0 or stored_second ~= second then
        redis.call('HSET', KEYS[2], 's', string.format('%d', second),
                   'c', string.format('%d', current), 'p', string.format('%d', previous))
        redis.call('PEXPIRE', KEYS[2], 3000)
    end
    local elapsed = (now % 1000000) / 1000000
    ok_last_second = math.floor(current + previous * (1 - elapsed) + 0.5)
end
return {wait, ok_last_second}
"""


class LimiterUnavailableError(TimTopicsError):
    """The shared limiter's Redis could not be used (unreachable, refused, or failed)."""


def redis_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be used as a Redis URL, or None. The reason never shows the
    URL's password: a password with raw ``/ ? # @`` is refused (URL parsers would take
    part of it for the host, port or path), and redis-py's own complaint is scrubbed."""
    reason = misread_credentials(url)
    if reason is not None:
        return reason
    try:
        from redis.asyncio.connection import parse_url
    except ImportError:  # RedisLimiter says what to install
        return None
    try:
        parse_url(url)
    except ValueError as exc:
        return scrub(str(exc), url_secrets(url))
    return None


def check_redis_url(url: str, *, field: str = "redis_url") -> None:
    """Raise :class:`ValidationError` (naming ``field``, showing the URL redacted) when
    :func:`redis_url_problem` finds one."""
    problem = redis_url_problem(url)
    if problem is not None:
        raise ValidationError(field, f"{field} {redact_url(url)} is not usable: {problem}")


class _SharedBudget:
    """What this process keeps about one command's shared budget."""

    def __init__(self, key_prefix: str, command: str, limit: float, *, adaptive: bool) -> None:
        self.keys = (f"{key_prefix}:{command}", f"{key_prefix}:{command}:ok")
        self.burst, self.max_rate = bucket_shape(limit)
        self.aimd = AimdRate(self.max_rate, name=command) if adaptive else None
        self.lock = asyncio.Lock()
        self.ok_unreported = 0
        self.ok_last_second = 0

    def rate(self) -> float:
        return self.max_rate if self.aimd is None else self.aimd.rate()

    def script_args(self) -> list[int]:
        interval = max(1, round(1_000_000 / self.rate()))
        args = [interval, (self.burst - 1) * interval]
        if self.aimd is not None:
            args.append(self.ok_unreported)
            self.ok_unreported = 0
        return args


class RedisLimiter:
    """One budget per command shared by every process using the same Redis and prefix.

    ``redis_url``: any URL redis-py accepts (``redis://[[user]:password@]host:port/db``,
    ``rediss://`` for TLS, ``unix://``). ``key_prefix`` names the budget, e.g.
    ``"tim:{sdkappid}"``: every process of one app must use the same prefix and limits;
    keys are ``{key_prefix}:{command}`` (and ``...:ok`` for the adaptive counts).
    ``rate_limit`` and ``per_command`` are calls per second per command, as for
    :class:`~tim_topics.limiter.LocalLimiter`. ``adaptive`` lowers a command's rate when
    the service throttles anyway (:mod:`tim_topics.adaptive`).

    When Redis cannot be used, ``acquire`` raises :class:`LimiterUnavailableError`; with
    ``fallback_divisor=N`` it logs one warning instead and, from then on, limits this
    process alone with a :class:`~tim_topics.limiter.LocalLimiter` at ``rate_limit / N``
    (set N to the number of processes sharing the budget). ``timeout`` bounds connecting to
    Redis, each Redis call, and waiting for a free pooled connection.
    """

    def __init__(
        self,
        redis_url: str = DEFAULT_REDIS_URL,
        *,
        key_prefix: str,
        rate_limit: float = 200,
        per_command: Mapping[str, float] | None = None,
        adaptive: bool = True,
        fallback_divisor: int | None = None,
        timeout: float = 2.0,
        max_connections: int = 10,
    ) -> None:
        try:
            import redis.asyncio as aioredis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff
            from redis.exceptions import RedisError
        except ImportError as exc:
            raise ImportError(
                "RedisLimiter needs the redis package: pip install 'tim-topics[redis]'"
            ) from exc
        self.rate_limit = float(rate_limit)
        bucket_shape(self.rate_limit)  # validates
        self._per_command = {cmd: float(v) for cmd, v in (per_command or {}).items()}
        for value in self._per_command.values():
            bucket_shape(value)
        if not isinstance(key_prefix, str) or not key_prefix:
            raise ValidationError("key_prefix", "key_prefix must be a non-empty string")
        if fallback_divisor is not None and (
            isinstance(fallback_divisor, bool)
            or not isinstance(fallback_divisor, int)
            or fallback_divisor < 1
        ):
            raise ValidationError(
                "fallback_divisor",
                f"fallback_divisor is {fallback_divisor!r}, it must be an integer >= 1 or None",
            )
        if not timeout > 0:
            raise ValidationError("timeout", f"timeout is {timeout}, it must be above 0")
        if max_connections < 1:
            raise ValidationError(
                "max_connections", f"max_connections is {max_connections}, it must be >= 1"
            )
        check_redis_url(redis_url)
        self.redis_url = redact_url(redis_url)
        self._url_secrets = url_secrets(redis_url)
        self.key_prefix = key_prefix
        self.adaptive = adaptive
        self.fallback_divisor = fallback_divisor
        try:
            pool = aioredis.BlockingConnectionPool.from_url(
                redis_url,
                max_connections=max_connections,
                timeout=timeout,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 1),  # once more on a stale pooled connection
            )
        except ValueError as exc:
            message = self._scrub(str(exc).replace(redis_url, self.redis_url))
            if self._url_secrets:  # its text may quote a piece of the password: say less
                message = "redis-py refused it"
            raise ValidationError(
                "redis_url", f"redis_url {self.redis_url} is not usable: {message}"
            ) from None
        self._redis: Redis = aioredis.Redis.from_pool(pool)
        self._script: AsyncScript = self._redis.register_script(GCRA_SCRIPT)
        self._redis_errors: tuple[type[Exception], ...] = (RedisError, OSError)
        self._budgets: dict[str, _SharedBudget] = {}
        self._fallback: LocalLimiter | None = None

    def __repr__(self) -> str:
        return (
            f"RedisLimiter({self.redis_url!r}, key_prefix={self.key_prefix!r}, "
            f"adaptive={self.adaptive}, fallback_divisor={self.fallback_divisor})"
        )

    @property
    def using_fallback(self) -> bool:
        """True once Redis failed and this process limits itself at ``rate_limit / N``."""
        return self._fallback is not None

    def limit(self, command: str) -> float:
        """The configured calls-per-second limit of ``command`` (for the whole app)."""
        return self._per_command.get(command, self.rate_limit)

    def configured_rate(self, command: str) -> float:
        """The shared rate of ``command`` when nothing throttles (196.02 for a 200 limit)."""
        return bucket_shape(self.limit(command))[1]

    def _budget(self, command: str) -> _SharedBudget:
        budget = self._budgets.get(command)
        if budget is None:
            budget = self._budgets[command] = _SharedBudget(
                self.key_prefix, command, self.limit(command), adaptive=self.adaptive
            )
        return budget

    async def acquire(self, command: str) -> None:
        """Book the next free slot of ``command`` in Redis and sleep until it comes."""
        fallback = self._fallback
        if fallback is None:
            budget = self._budget(command)
            async with budget.lock:
                fallback = self._fallback  # Redis may have failed while we queued
                if fallback is None:
                    try:
                        wait_us, ok_last_second = await self._script(
                            keys=budget.keys, args=budget.script_args()
                        )
                    except self._redis_errors as exc:
                        fallback = self._fall_back_or_raise(exc)
                    else:
                        budget.ok_last_second = int(ok_last_second)
                        if wait_us > 0:
                            await asyncio.sleep(int(wait_us) / 1_000_000)
                        return
        await fallback.acquire(command)

    def _fall_back_or_raise(self, exc: Exception) -> LocalLimiter:
        reason = f"{type(exc).__name__}: {self._scrub(str(exc))}"
        if self.fallback_divisor is None:
            raise LimiterUnavailableError(
                f"the shared rate limiter's Redis at {self.redis_url} failed ({reason}); "
                "pass fallback_divisor=N to fall back to an in-process limiter at rate/N"
            ) from None
        if self._fallback is None:
            divisor = self.fallback_divisor
            self._fallback = LocalLimiter(
                self.rate_limit / divisor,
                per_command={cmd: v / divisor for cmd, v in self._per_command.items()},
                adaptive=self.adaptive,
            )
            logger.warning(
                "Redis at %s failed (%s): limiting this process alone at rate_limit / %d "
                "(%.1f calls/s per command) from now on",
                self.redis_url,
                reason,
                divisor,
                self.rate_limit / divisor,
            )
        return self._fallback

    def _scrub(self, text: str) -> str:
        return scrub(text, self._url_secrets)

    def feedback(self, command: str, *, throttled: bool) -> None:
        """Count an answer; a throttled one may cut this process's rate (with ``adaptive``)."""
        if self._fallback is not None:
            self._fallback.feedback(command, throttled=throttled)
            return
        budget = self._budget(command)
        if budget.aimd is None:
            return
        if throttled:
            budget.aimd.throttled(budget.ok_last_second + budget.ok_unreported)
        else:
            budget.ok_unreported += 1

    def effective_rate(self, command: str) -> float:
        """The rate at which this process books ``command`` now, calls per second."""
        if self._fallback is not None:
            return self._fallback.effective_rate(command)
        budget = self._budgets.get(command)
        return self.configured_rate(command) if budget is None else budget.rate()

    async def ping(self) -> None:
        """Check that Redis answers; raises :class:`LimiterUnavailableError` if not."""
        try:
            await self._redis.ping()
        except self._redis_errors as exc:
            reason = f"{type(exc).__name__}: {self._scrub(str(exc))}"
            raise LimiterUnavailableError(
                f"the shared rate limiter's Redis at {self.redis_url} failed ({reason})"
            ) from None

    async def aclose(self) -> None:
        """Close the Redis connections."""
        await self._redis.aclose()
