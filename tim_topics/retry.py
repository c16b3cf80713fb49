"""When to try a call again, and how long to wait: a pure decision plus a wait strategy.

Retried: the service's passing faults and throttling (10002, 10006, 60007, 60008, 60011,
60018, 60019) and transport failures. A transport failure after the request was sent is
*ambiguous* (the service may have acted), and so is 60008 ("service request timed out":
the service may have done the work before its time-out): an ambiguous failure is retried
only when re-sending cannot make a duplicate, i.e. never for a create or import without a
custom topic ID. 10002 (an internal error before the work) stays retried for every call.
"""

from __future__ import annotations

from typing import Final

import attrs
import tenacity

from .errors import ApiError, TransportError, ValidationError

RETRYABLE_CODES: Final = frozenset({10002, 10006, 60007, 60008, 60011, 60018, 60019})
THROTTLE_CODES: Final = frozenset({10006, 60007, 60011, 60018, 60019})
#: Error answers after which the service may have done the work (60008: it timed out).
AMBIGUOUS_CODES: Final = frozenset({60008})


def is_ambiguous(error: BaseException) -> bool:
    """A failure after which the service may have done the work: a transport failure once
    the request was sent, or an answer that says the service timed out."""
    if isinstance(error, ApiError):
        return error.code in AMBIGUOUS_CODES
    return isinstance(error, TransportError) and error.sent


def should_retry(error: BaseException, *, resend_safe: bool) -> bool:
    """Whether a failed attempt may be tried again.

    ``resend_safe`` is False for a create/import without a custom topic ID: sending it
    again after an ambiguous failure could create the topic twice.
    """
    if is_ambiguous(error) and not resend_safe:
        return False
    if isinstance(error, ApiError):
        return error.code in RETRYABLE_CODES
    if isinstance(error, TransportError):
        return resend_safe or not error.sent
    return False


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Limits of retrying: attempts, total time and the jittered exponential back-off."""

    max_attempts: int = 8
    """Attempts in all, the first included."""
    max_total: float = 30.0
    """Seconds after which no new attempt starts (a back-off that would pass it is not
    slept); the last error is raised."""
    initial_wait: float = 0.1
    """Scale of the first back-off, seconds."""
    max_wait: float = 5.0
    """The longest single back-off, seconds."""

    def __attrs_post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValidationError(
                "max_attempts", f"max_attempts is {self.max_attempts}, the minimum is 1"
            )
        for name in ("max_total", "initial_wait", "max_wait"):
            value = getattr(self, name)
            if value < 0:
                raise ValidationError(name, f"{name} is {value}, it must not be negative")

    def stop(self) -> tenacity.stop.stop_base:
        return tenacity.stop_after_attempt(self.max_attempts) | tenacity.stop_before_delay(
            self.max_total
        )

    def wait(self) -> tenacity.wait.wait_base:
        """Full-jitter exponential back-off: uniform in [0, min(max, initial * 2**n)]."""
        return tenacity.wait_random_exponential(multiplier=self.initial_wait, max=self.max_wait)
