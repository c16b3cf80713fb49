"""What the webhook side raises: a body that does not parse, a request that is not ours."""

from __future__ import annotations

from ..errors import TimTopicsError


class WebhookParseError(TimTopicsError, ValueError):
    """A webhook's body or query could not be read: not JSON, no ``CallbackCommand``, or a
    known field of the wrong type. ``field`` names the field (wire name) when one is to
    blame. A receiver answers it with HTTP 400."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class WebhookAuthError(TimTopicsError):
    """A webhook request failed authentication: ``status`` is the HTTP status to answer
    (401 for a missing, wrong or stale signature, 403 for another app's ``SdkAppid``).
    The message never repeats the token or the signature."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status
