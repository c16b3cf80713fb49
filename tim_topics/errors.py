"""Everything the library raises, split by what a caller can do about it.

- :class:`ValidationError`: bad input, found before any request was sent.
- :class:`ApiError` and its families: the service answered ``ErrorCode != 0``.
- :class:`TransportError`: the answer never came, or was not the service's JSON.
"""

from __future__ import annotations

from collections.abc import Mapping


class TimTopicsError(Exception):
    """The base of everything tim_topics raises."""

    def __reduce__(self) -> tuple[object, ...]:
        # Exceptions pickle as ``cls(*args)``, which fails for keyword-only arguments and
        # loses attributes: rebuild from args and attributes instead, so errors can cross
        # process boundaries (multiprocessing, concurrent.futures) whole.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


def _rebuild(
    cls: type[TimTopicsError], args: tuple[object, ...], state: dict[str, object]
) -> TimTopicsError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ValidationError(TimTopicsError, ValueError):
    """Bad input found before any request was sent.

    ``field`` names the offending field (in the library's snake_case spelling, or the
    wire name for raw input), ``message`` says its size and the limit.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ClientClosedError(TimTopicsError, RuntimeError):
    """The client was closed: no further call can be made with it."""


class WrongEventLoopError(TimTopicsError, RuntimeError):
    """The client was used from an event loop other than the one it belongs to (the loop
    it was first used in): make one client per event loop."""


class TransportError(TimTopicsError):
    """The call did not get a well-formed answer: connection failure, time-out, a gateway's
    non-200 answer (a 502 with an HTML page), or a body that is not the documented JSON.

    ``sent`` is True when the request may have reached the service (the outcome of a
    create or import is then unknown), False when it certainly did not.
    """

    def __init__(
        self,
        message: str,
        *,
        command: str | None = None,
        status: int | None = None,
        sent: bool = True,
    ) -> None:
        super().__init__(message)
        self.command = command
        self.status = status
        self.sent = sent


class DecodeError(TransportError):
    """The service's answer could not be decoded into the documented shape."""


class ApiError(TimTopicsError):
    """The service answered with ``ErrorCode != 0``."""

    def __init__(self, code: int, info: str, command: str | None = None) -> None:
        where = f"{command}: " if command else ""
        super().__init__(f"{where}error {code}: {info}" if info else f"{where}error {code}")
        self.code = code
        self.info = info
        self.command = command


class RateLimitedError(ApiError):
    """Over a frequency limit or quota (10006, 60007, 60011, 60018, 60019)."""


class ServerError(ApiError):
    """A passing fault of the service (10002, 60008)."""


class AuthError(ApiError):
    """The UserSig or the account was refused (70xxx)."""


class NotFoundError(ApiError):
    """The group or topic does not exist or was deleted (10010, 110003)."""


class InvalidRequestError(ApiError):
    """The service found the request invalid (10003, 10004, 10008, 10015, 60003, ...)."""


class AlreadyExistsError(ApiError):
    """The custom ID is already in use (10021 on import, 10025 on create)."""


class WebhookRejectedError(ApiError):
    """The app's own webhook refused the operation (10016, or its 10100-10200 code)."""


class PermissionDeniedError(ApiError):
    """Insufficient operation permissions (10007)."""


class FeatureNotEnabledError(ApiError):
    """The group does not support topics, or the edition lacks them (11000, 60020)."""


class QuotaExceededError(ApiError):
    """A paid quota is used up (10036, 10037)."""


class SecurityCheckError(ApiError):
    """The content failed the service's security check (80001, 80005)."""


class OutcomeUnknownError(TransportError):
    """A create or import may or may not have taken effect (the request was sent, no answer
    came), and it was not re-sent because that could make a duplicate."""


class UndecodedOutcomeError(OutcomeUnknownError, DecodeError):
    """A create or import was answered, but the answer could not be decoded (too large,
    not JSON): the topic may or may not exist, and it was not re-sent."""


_FAMILIES: Mapping[int, type[ApiError]] = {
    10002: ServerError,
    60008: ServerError,
    10006: RateLimitedError,
    60007: RateLimitedError,
    60011: RateLimitedError,
    60018: RateLimitedError,
    60019: RateLimitedError,
    10010: NotFoundError,
    110003: NotFoundError,
    10003: InvalidRequestError,
    10004: InvalidRequestError,
    10008: InvalidRequestError,
    10015: InvalidRequestError,
    60002: InvalidRequestError,
    60003: InvalidRequestError,
    60009: InvalidRequestError,
    10021: AlreadyExistsError,
    10025: AlreadyExistsError,
    10016: WebhookRejectedError,
    10007: PermissionDeniedError,
    11000: FeatureNotEnabledError,
    60020: FeatureNotEnabledError,
    10036: QuotaExceededError,
    10037: QuotaExceededError,
    80001: SecurityCheckError,
    80005: SecurityCheckError,
}


def api_error(code: int, info: str, command: str | None = None) -> ApiError:
    """The :class:`ApiError` subclass for a service error code."""
    family = _FAMILIES.get(code)
    if family is None:
        if 70000 <= code <= 70999:
            family = AuthError
        elif 10100 <= code <= 10200:
            family = WebhookRejectedError
        else:
            family = ApiError
    return family(code, info, command)
