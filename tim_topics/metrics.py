"""The counters a client keeps, for progress displays, dashboards and tests."""

from __future__ import annotations

import attrs


@attrs.define
class ClientMetrics:
    """Counters of one :class:`~tim_topics.client.TopicClient` (``client.metrics``)."""

    requests: int = 0
    """HTTP requests sent (attempts that got a rate-limit token)."""
    retries: int = 0
    """Attempts that were retries of an earlier failed attempt."""
    throttled: int = 0
    """Answers that said the rate limit was exceeded (10006 and the like)."""
    in_flight: int = 0
    """Requests between their token and the end of their answer, now."""
    max_in_flight: int = 0
    """The most requests in flight at once so far."""
    gate_waits: int = 0
    """Attempts that waited for a free connection before taking a token: only when
    ``connection_limit`` (or a shared session's pool) is smaller than the limits need."""


@attrs.define
class CallLog:
    """What one call did across its attempts, for its span and metrics."""

    attempts: int = 0
    """HTTP requests sent (each took a rate-limit token)."""
    limiter_wait: float = 0.0
    """Seconds spent waiting for rate-limit tokens."""
    throttled: int = 0
    """Answers that said the rate limit was exceeded."""
