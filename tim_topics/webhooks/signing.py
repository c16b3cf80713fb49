"""Webhook authentication: the ``Sign`` and ``RequestTime`` query parameters.

When a token is set in the console, the service adds ``RequestTime`` (Unix seconds) and
``Sign``, the lower-case hex SHA-256 (plain, not HMAC) of the token immediately followed
by the decimal ``RequestTime``. The sign covers neither the body nor the rest of the
URL, so freshness is what stops a replay: a ``RequestTime`` more than ``max_skew``
seconds away from now (either direction) is refused.

:class:`WebhookVerifier` is framework-free: give it the query as a mapping of strings.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

import attrs

from .errors import WebhookAuthError

#: How far ``RequestTime`` may be from now, seconds (the vendor's advice).
DEFAULT_MAX_SKEW = 60.0


def webhook_sign(token: str, request_time: int | str) -> str:
    """The ``Sign`` the service computes for ``token`` and ``request_time``."""
    return hashlib.sha256(f"{token}{request_time}".encode()).hexdigest()


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be > 0 seconds, got {value!r}")


def _sdkappid(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value <= 0:
        raise ValueError(f"{attribute.name} must be a positive int, got {value!r}")


@attrs.frozen
class WebhookVerifier:
    """Checks that a webhook request is for this app, signed with the token, and fresh:
    ``WebhookVerifier(sdkappid, token)``, like ``WebhookRouter(sdkappid, token)``.

    ``token=None`` (authentication not enabled in the console) skips the signature; a
    ``RequestTime`` that is present is still checked for freshness. ``clock`` returns
    Unix seconds (tests pass a fake).
    """

    sdkappid: int = attrs.field(validator=_sdkappid)
    token: str | None = attrs.field(default=None, repr=False)
    max_skew: float = attrs.field(default=DEFAULT_MAX_SKEW, validator=_positive, kw_only=True)
    clock: Callable[[], float] = attrs.field(default=time.time, repr=False, kw_only=True)

    def verify(self, query: Mapping[str, str]) -> None:
        """Return if ``query`` passes; raise :class:`WebhookAuthError` (``status`` 403 for
        a missing or foreign ``SdkAppid``, 401 for the signature or the time) if not."""
        sdkappid = query.get("SdkAppid")
        if sdkappid is None:
            raise WebhookAuthError("webhook refused: no SdkAppid in the query", status=403)
        if sdkappid.strip() != str(self.sdkappid):
            raise WebhookAuthError("webhook refused: SdkAppid is another app's", status=403)
        request_time = query.get("RequestTime")
        if self.token is not None:
            sign = query.get("Sign")
            if sign is None or request_time is None:
                raise WebhookAuthError(
                    "webhook refused: Sign and RequestTime are required (a token is set)",
                    status=401,
                )
            expected = webhook_sign(self.token, request_time)
            if not hmac.compare_digest(expected.encode(), sign.strip().lower().encode()):
                raise WebhookAuthError("webhook refused: Sign does not match", status=401)
        if request_time is not None:
            self._check_fresh(request_time)

    def _check_fresh(self, request_time: str) -> None:
        try:
            sent_at = int(request_time)
        except ValueError:
            raise WebhookAuthError(
                "webhook refused: RequestTime is not Unix seconds", status=401
            ) from None
        skew = sent_at - self.clock()
        if abs(skew) > self.max_skew:
            raise WebhookAuthError(
                f"webhook refused: RequestTime is {abs(skew):.0f} s "
                f"{'ahead' if skew > 0 else 'old'} (limit {self.max_skew:g} s)",
                status=401,
            )
