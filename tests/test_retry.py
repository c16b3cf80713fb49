"""The retry decision and the back-off policy."""

from __future__ import annotations

import pytest

from tim_topics.errors import (
    AuthError,
    InvalidRequestError,
    RateLimitedError,
    ServerError,
    TransportError,
    ValidationError,
)
from tim_topics.retry import RetryPolicy, is_ambiguous, should_retry


@pytest.mark.parametrize("code", [10002, 10006, 60007, 60011, 60018, 60019])
def test_retryable_codes(code: int) -> None:
    error = (RateLimitedError if code != 10002 else ServerError)(code, "x")
    assert should_retry(error, resend_safe=False)
    assert not is_ambiguous(error)


def test_60008_is_ambiguous_and_retried_only_when_resending_is_safe() -> None:
    """60008: the service timed out and may have done the work (like a lost answer)."""
    error = ServerError(60008, "service request timed out")
    assert is_ambiguous(error)
    assert should_retry(error, resend_safe=True)
    assert not should_retry(error, resend_safe=False)


@pytest.mark.parametrize(
    "error", [AuthError(70009, "x"), AuthError(70001, "x"), InvalidRequestError(10004, "x")]
)
def test_not_retried(error: Exception) -> None:
    assert not should_retry(error, resend_safe=True)


def test_transport_errors() -> None:
    before = TransportError("refused", sent=False)
    after = TransportError("timed out", sent=True)
    assert should_retry(before, resend_safe=False)
    assert should_retry(after, resend_safe=True)
    assert not should_retry(after, resend_safe=False)
    assert not should_retry(ValueError("bug"), resend_safe=True)


def test_policy_checks_its_numbers() -> None:
    with pytest.raises(ValidationError, match="max_attempts is 0"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValidationError, match="max_total is -1"):
        RetryPolicy(max_total=-1)
