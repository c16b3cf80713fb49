"""Outages pause an import; they do not fail its records.

When the endpoint cannot be reached (connection refused, DNS, TLS: a request that certainly
never left) or the shared limiter's Redis is down, the records are not at fault: marking
them failed would send them to the failures file as if they were bad. Instead the import
pauses: no new record is taken, one record at a time probes with back-off, and when a call
gets through again every paused record is retried and the import goes on. After
``limit`` seconds down, :class:`OutageError` stops the import cleanly (records in flight
stay in the journal, and the same command run again finishes the job).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Final

from ..errors import DecodeError, TimTopicsError, TransportError
from ..redis_limiter import LimiterUnavailableError
from .pacing import ImportGauges

logger = logging.getLogger("tim_topics.bulk")

#: Seconds an import waits out an outage before it stops (five minutes).
DEFAULT_OUTAGE_LIMIT: Final = 300.0
#: Back-off between probes: from the first, doubling up to the last.
FIRST_BACKOFF: Final = 1.0
MAX_BACKOFF: Final = 30.0
#: Seconds a probe may take (the client's own retries of one call) before another record
#: takes over the probing.
PROBE_GRACE: Final = 60.0


class OutageError(TimTopicsError):
    """The endpoint (or the shared limiter) stayed unreachable longer than the outage limit;
    the import stopped, and nothing was marked failed because of it."""


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` says the service (or the limiter) cannot be reached at all, as
    opposed to an answer about the record: a request that never left, or Redis down."""
    if isinstance(error, LimiterUnavailableError):
        return True
    return (
        isinstance(error, TransportError)
        and not isinstance(error, DecodeError)
        and not error.sent
        and error.status is None
    )


def outage_cause(error: BaseException) -> BaseException | None:
    """The outage behind ``error`` (itself, or what it was raised from), or None."""
    for candidate in (error, error.__cause__):
        if candidate is not None and is_outage(candidate):
            return candidate
    return None


class OutageGate:
    """Open while the service can be reached; shut during an outage."""

    def __init__(
        self,
        limit: float = DEFAULT_OUTAGE_LIMIT,
        *,
        gauges: ImportGauges | None = None,
        clock: Callable[[], float] = time.monotonic,
        first_backoff: float = FIRST_BACKOFF,
    ) -> None:
        self.limit = limit
        self.gauges = gauges if gauges is not None else ImportGauges()
        self._clock = clock
        self._first_backoff = first_backoff
        self._backoff = first_backoff
        self._open = asyncio.Event()
        self._open.set()
        self._down_since: float | None = None
        #: While a record probes: until when the others leave the probing to it.
        self._probe_until: float | None = None
        self.outages = 0
        """Outages seen so far (for tests and summaries)."""

    @property
    def down(self) -> bool:
        return self._down_since is not None

    async def wait_open(self) -> None:
        """Return at once while up; during an outage, when it is over."""
        await self._open.wait()

    def up(self) -> None:
        """A call got through: resume everything."""
        if self._down_since is None:
            return
        logger.warning(
            "the service can be reached again after %.0f s: resuming",
            self._clock() - self._down_since,
        )
        self._down_since = None
        self._probe_until = None
        self._backoff = self._first_backoff
        self.gauges.waiting = None
        self._open.set()

    async def wait_to_retry(self, error: BaseException, *, probed: bool = False) -> bool:
        """Called with the outage a record met; returns when the record should be sent
        again: True when it is the probe (one record at a time, after a back-off), False
        when the outage is over. ``probed``: the record was the probe, and it failed.
        OutageError once the service was unreachable for the outage limit."""
        now = self._clock()
        if probed:
            self._probe_until = None
        if self._down_since is None:
            self._down_since = now
            self.outages += 1
            self._open.clear()
            logger.warning(
                "cannot reach the service (%s): pausing; no new record is taken, retrying "
                "with back-off for up to %.0f s",
                error,
                self.limit,
            )
        while self._down_since is not None:
            now = self._clock()
            waited = now - self._down_since
            if waited >= self.limit:
                raise OutageError(
                    f"the service could not be reached for {waited:.0f} s ({error}); the "
                    "import stopped and marked nothing failed because of it. Run the same "
                    "import again (the same command) once it is reachable: what is done is "
                    "skipped"
                )
            left = self.limit - waited
            if self._probe_until is not None and now < self._probe_until:
                # Another record probes: wait for its outcome.
                if await self._opened_within(min(self._probe_until - now, left)):
                    return False
                continue
            pause = min(self._backoff, left)
            self._probe_until = now + pause + PROBE_GRACE
            self.gauges.waiting = (
                f"cannot reach the service for {waited:.0f} s ({error}); retrying in "
                f"{pause:.0f} s, giving up after {self.limit:.0f} s"
            )
            if await self._opened_within(pause):
                self._probe_until = None
                return False
            self._backoff = min(self._backoff * 2, MAX_BACKOFF)
            return True
        return False

    async def _opened_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._open.wait(), timeout=max(0.0, seconds))
        except asyncio.TimeoutError:
            return False
        return True
