"""One call of a command: its attempts, retries, UserSig renewal, and what an ambiguous
failure means for it. Each attempt is one :class:`~tim_topics.request_path.RequestPath`
request.

- The first attempt runs outside tenacity (most calls succeed at once, and building a retry
  state costs more than the request); after a failure a fresh ``AsyncRetrying`` takes over.
- An ambiguous failure (sent, no answer; or 60008) of a create/import without a custom ID
  is never re-sent: it ends in :class:`~tim_topics.errors.OutcomeUnknownError`.
- With a custom ID it is re-sent; an in-use answer (10021/10025) then means the earlier
  attempt made the topic.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Awaitable, Coroutine, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import attrs
import tenacity
from yarl import URL

from .answers import decode_answer
from .errors import (
    AlreadyExistsError,
    ApiError,
    AuthError,
    DecodeError,
    OutcomeUnknownError,
    TransportError,
    UndecodedOutcomeError,
)
from .limiter import Limiter
from .messages import Answer
from .metrics import CallLog, ClientMetrics
from .request_path import RequestPath
from .retry import THROTTLE_CODES, RetryPolicy, is_ambiguous, should_retry
from .telemetry import Telemetry
from .usersig import UserSigSource
from .wire import from_wire, to_wire

logger = logging.getLogger("tim_topics.client")
#: The requests' JSON: compact, UTF-8 as is (one encoder, not one per call as
#: ``json.dumps`` with options makes).
_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

A = TypeVar("A", bound=Answer)


@attrs.define
class CallState(CallLog):
    """What one call remembers across its attempts."""

    ambiguous: bool = False
    renewed: bool = False
    in_use_after_ambiguity: bool = False


@attrs.frozen
class CreateOutcome:
    """What a create/import call achieved."""

    topic_id: str
    made_earlier: bool
    """True when a re-sent attempt found the custom ID in use (10021/10025): an earlier
    attempt whose answer was lost made the topic, or it existed before."""


class CallRunner:
    """Runs the calls of one client: builds each attempt's URL (with the current UserSig),
    sends it through the request path, decodes the answer and retries as the policy says."""

    def __init__(
        self,
        *,
        path: RequestPath,
        limiter: Limiter,
        retry_policy: RetryPolicy,
        usersig: UserSigSource,
        urls: Mapping[str, str],
        sdkappid: int,
        identifier: str,
        metrics: ClientMetrics,
        telemetry: Telemetry | None,
    ) -> None:
        self.path = path
        self.limiter = limiter
        self.retry_policy = retry_policy
        self.usersig = usersig
        self.metrics = metrics
        self.telemetry = telemetry
        self._urls = {command: URL(url) for command, url in urls.items()}
        self._account = f"sdkappid={sdkappid}&identifier={quote(identifier, safe='')}"
        self._query_sig = ""
        self._query_prefix = ""

    def call(
        self,
        command: str,
        request: object,
        answer_type: type[A],
        *,
        resend_safe: bool,
        custom_id: str | None = None,
        state: CallState | None = None,
    ) -> Coroutine[Any, Any, A]:
        """Send one command with retries: a coroutine of its decoded answer. (It is not a
        coroutine function itself, so a call costs one coroutine less.)

        A create/import with a custom ID that got an ambiguous failure (sent, no answer) is
        re-sent; if the service then says the ID is in use (10021/10025), the earlier
        attempt made it, so that counts as success.
        """
        body = _encode_json(to_wire(request)).encode()
        state = state or CallState()
        call = self._call_with_retries(
            command, body, answer_type, resend_safe=resend_safe, custom_id=custom_id, state=state
        )
        if self.telemetry is None:
            return call
        return self.telemetry.observe(command, call, state)

    async def _call_with_retries(
        self,
        command: str,
        body: bytes,
        answer_type: type[A],
        *,
        resend_safe: bool,
        custom_id: str | None,
        state: CallState,
    ) -> A:
        try:
            try:
                data = await self._settled_attempt(command, body, state, custom_id)
            except Exception as first:
                if not should_retry(first, resend_safe=resend_safe):
                    raise
                data = await self._retry(command, body, state, custom_id, resend_safe, first)
            return from_wire(data, answer_type, what=command)
        except (TransportError, ApiError) as exc:
            if resend_safe or not is_ambiguous(exc) or isinstance(exc, OutcomeUnknownError):
                raise
            unknown = _outcome_unknown(command, exc)
            logger.warning("%s", unknown)
            raise unknown from None

    async def _retry(
        self,
        command: str,
        body: bytes,
        state: CallState,
        custom_id: str | None,
        resend_safe: bool,
        first: Exception,
    ) -> dict[str, Any]:
        """The attempts after a failed first one, driven by a fresh tenacity state.

        The first attempt runs outside tenacity (most calls succeed at once, and building
        a retry state costs more than the request); tenacity's own first attempt re-raises
        its error, so its attempt count, back-off and total-time ceiling stay exact.
        """
        pending: list[Exception] = [first]
        retrying = tenacity.AsyncRetrying(
            stop=self.retry_policy.stop(),
            wait=self.retry_policy.wait(),
            retry=tenacity.retry_if_exception(
                lambda exc: should_retry(exc, resend_safe=resend_safe)
            ),
            before_sleep=self._before_retry(command),
            reraise=True,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                attempts += 1
                with attempt:
                    if pending:
                        raise pending.pop()
                    return await self._settled_attempt(command, body, state, custom_id)
        except Exception as exc:
            if should_retry(exc, resend_safe=resend_safe):
                logger.warning("%s: giving up after %d attempts: %s", command, attempts, exc)
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _settled_attempt(
        self, command: str, body: bytes, state: CallState, custom_id: str | None
    ) -> dict[str, Any]:
        """One attempt (two when the UserSig expired: 70001 renews it once and tries again),
        with what it means for the call: an ambiguous failure is noted, and a custom ID
        found in use after one means an earlier attempt made the topic. (One coroutine, not
        three: each layer costs every call.)"""
        try:
            try:
                return self._decoded(command, await self._send(command, body, state), state)
            except AuthError as exc:
                if exc.code != 70001 or state.renewed or not self.usersig.renewable:
                    raise
                state.renewed = True
                logger.info(
                    "%s: UserSig expired (70001): renewing it and trying once more", command
                )
                self.usersig.renew()
                return self._decoded(command, await self._send(command, body, state), state)
        except AlreadyExistsError:
            if not (state.ambiguous and custom_id is not None):
                raise
            logger.info(
                "%s: custom ID already in use after an ambiguous attempt: "
                "the earlier attempt created it",
                command,
            )
            state.in_use_after_ambiguity = True
            return {"ErrorCode": 0, "TopicId": custom_id}
        except (TransportError, ApiError) as exc:
            if is_ambiguous(exc):
                state.ambiguous = True
            raise

    def _url(self, command: str) -> URL:
        sig = self.usersig.current()
        if sig != self._query_sig:
            self._query_sig = sig
            self._query_prefix = (
                f"{self._account}&usersig={quote(sig, safe='')}&contenttype=json&random="
            )
        base = self._urls[command]
        return URL.build(
            scheme=base.scheme,
            authority=base.raw_authority,
            path=base.raw_path,
            query_string=self._query_prefix + str(random.getrandbits(32)),
            encoded=True,
        )

    def _send(self, command: str, body: bytes, state: CallState) -> Awaitable[bytes]:
        """Exactly one HTTP request (see :class:`RequestPath`), with the current UserSig."""
        return self.path.send(command, self._url(command), body, state)

    def _decoded(self, command: str, raw: bytes, state: CallState) -> dict[str, Any]:
        """An answer decoded, and told to the limiter (a throttle may cut the rate)."""
        try:
            data = decode_answer(raw, command)
        except Exception as exc:
            code = getattr(exc, "code", None)
            if code is not None:
                if code in THROTTLE_CODES:
                    self.metrics.throttled += 1
                    state.throttled += 1
                self.limiter.feedback(command, throttled=code in THROTTLE_CODES)
            raise
        self.limiter.feedback(command, throttled=False)
        return data

    def _before_retry(self, command: str) -> Any:
        def before_sleep(state: tenacity.RetryCallState) -> None:
            self.metrics.retries += 1
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            logger.info(
                "%s: attempt %d failed (%s); retrying in %.2f s",
                command,
                state.attempt_number,
                exc,
                wait,
            )

        return before_sleep


def _outcome_unknown(command: str, exc: TransportError | ApiError) -> OutcomeUnknownError:
    """The error of a create/import without a custom ID whose last attempt may have been
    done by the service: it says so once, with the cause, and is not re-sent."""
    cause = str(exc).removeprefix(f"{command}: ")
    kind = UndecodedOutcomeError if isinstance(exc, DecodeError) else OutcomeUnknownError
    return kind(
        f"{command}: {cause}; the request reached the service but its outcome is unknown, "
        "so the topic may or may not exist. It was not re-sent, to avoid a duplicate: check "
        "with get_topic, or use a custom topic_id to make retries safe",
        command=command,
        status=exc.status if isinstance(exc, TransportError) else None,
    )
