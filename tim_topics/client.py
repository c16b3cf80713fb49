"""The asyncio client of the five topic commands.

Public methods are short: check the input, build the request record, call
:meth:`TopicClient._call`, convert the answer. ``_call`` owns retries, UserSig renewal and
what an ambiguous failure means; one HTTP attempt (pool slot, limiter token, time-out,
sent-ness, answer cap) is :class:`~tim_topics.request_path.RequestPath`'s.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Iterable,
    Mapping,
    Sequence,
)
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import aiohttp
import attrs
import tenacity
from yarl import URL

from .answers import decode_answer
from .endpoints import COMMANDS, DEFAULT_SERVICES, SERVICE_RATE_LIMIT, command_path
from .endpoints import region_base_url as _region_base_url
from .errors import (
    AlreadyExistsError,
    ApiError,
    AuthError,
    DecodeError,
    OutcomeUnknownError,
    TransportError,
    UndecodedOutcomeError,
    ValidationError,
)
from .limiter import Limiter, LocalLimiter
from .messages import (
    Answer,
    CreateTopicRequest,
    DestroyTopicAnswer,
    GetTopicAnswer,
    ImportTopicRequest,
    TopicIdAnswer,
)
from .metrics import CallLog, ClientMetrics
from .models import DestroyResult, TopicRecord, TopicResult
from .request_builder import (
    creation_record,
    creation_request,
    destroy_request,
    get_request,
    modify_request,
)
from .request_path import DEFAULT_MAX_ANSWER_BYTES, RequestPath, pool_size_needed
from .retry import THROTTLE_CODES, RetryPolicy, is_ambiguous, should_retry
from .telemetry import Telemetry, telemetry_available
from .usersig import DEFAULT_VALIDITY, GeneratedUserSig, StaticUserSig, UserSigSource
from .validation import (
    check_account,
)
from .wire import from_wire, to_wire

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from .bulk.export import ExportItem
    from .bulk.outcome import ImportOutcome
    from .bulk.record_checks import BulkCommand

logger = logging.getLogger("tim_topics.client")

A = TypeVar("A", bound=Answer)

#: Per-attempt time-out: longer than the service's own 3 s.
DEFAULT_TIMEOUT = 6.0


@attrs.define
class _CallState(CallLog):
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


class TopicClient:
    """An asyncio client for create, import, get, modify and destroy topic.

    Use it as ``async with TopicClient(...) as client:`` or call :meth:`aclose` when done.
    One client is meant to be shared by every task of an app: it holds one HTTP session
    (keep-alive, pooled connections) and one rate limiter bucket per command. It belongs to
    the event loop it is first used in.

    ``connection_limit`` (default None) caps the connection pool. By default the pool is
    as large as the limits can need at any latency (for each command, its rate times
    ``timeout``), so no call ever waits for a connection; connections are opened only as
    the latency requires and closed after 30 s idle. Set it to hold fewer sockets (a small
    file-descriptor limit, a proxy that allows few connections); throughput is then at most
    ``connection_limit / latency`` calls per second for all commands together, and the
    rate limit still holds exactly, since a call waits for a connection before its token.
    """

    def __init__(
        self,
        sdkappid: int,
        identifier: str,
        secret_key: str | None = None,
        *,
        usersig: str | None = None,
        region: str = "china",
        backup_domain: bool = False,
        base_url: str | None = None,
        rate_limit: float = SERVICE_RATE_LIMIT,
        session: aiohttp.ClientSession | None = None,
        limiter: Limiter | None = None,
        adaptive: bool = True,
        services: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        usersig_validity: int = DEFAULT_VALIDITY,
        connection_limit: int | None = None,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        if not isinstance(sdkappid, int) or isinstance(sdkappid, bool) or sdkappid <= 0:
            raise ValidationError("sdkappid", f"sdkappid must be a positive int, got {sdkappid!r}")
        check_account(identifier, "identifier")
        if (secret_key is None) == (usersig is None):
            raise ValidationError(
                "secret_key",
                "give exactly one of secret_key (UserSigs are made and renewed) "
                "or usersig (a ready UserSig)",
            )
        if secret_key is not None:
            if not isinstance(secret_key, str) or not secret_key:
                raise ValidationError("secret_key", "secret_key must be a non-empty str")
            self._usersig: UserSigSource = GeneratedUserSig(
                sdkappid, identifier, secret_key, validity=usersig_validity
            )
        else:
            if not isinstance(usersig, str) or not usersig:
                raise ValidationError("usersig", "usersig must be a non-empty str")
            self._usersig = StaticUserSig(usersig)
        if not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValidationError("timeout", f"timeout is {timeout!r}, it must be above 0 s")
        unknown = set(services or {}) - set(COMMANDS)
        if unknown:
            raise ValidationError(
                "services", f"services names unknown commands {sorted(unknown)}; known: {COMMANDS}"
            )
        self.sdkappid = sdkappid
        self.identifier = identifier
        self.base_url = self._base_url(base_url, region, backup_domain)
        self.services: dict[str, str] = {str(k): v for k, v in DEFAULT_SERVICES.items()}
        self.services.update(services or {})
        self.timeout = float(timeout)
        self.retry_policy = retry or RetryPolicy()
        self._owns_limiter = limiter is None
        self.limiter: Limiter = (
            limiter if limiter is not None else LocalLimiter(rate_limit, adaptive=adaptive)
        )
        _check_count("connection_limit", connection_limit, allow_none=True)
        _check_count("max_answer_bytes", max_answer_bytes, allow_none=False)
        self.metrics = ClientMetrics()
        self._path = RequestPath(
            self.limiter,
            timeout=self.timeout,
            pool_size=connection_limit or self._pool_needed(rate_limit),
            session=session,
            max_answer_bytes=max_answer_bytes,
            metrics=self.metrics,
        )
        self._telemetry = _telemetry(self, tracer_provider, meter_provider)
        self._urls = {
            command: str(URL(self.base_url + command_path(service, command)))
            for command, service in self.services.items()
        }
        self._query_sig = ""
        self._query_prefix = ""

    def _pool_needed(self, rate_limit: float) -> int:
        limit_of = getattr(self.limiter, "limit", None)
        limits = [
            float(limit_of(command)) if callable(limit_of) else float(rate_limit)
            for command in self.services
        ]
        return pool_size_needed(limits, self.timeout)

    @property
    def connection_pool_size(self) -> int | None:
        """Connections the pool may hold (None: a session passed in with no limit)."""
        return self._path.pool_size

    @staticmethod
    def _base_url(base_url: str | None, region: str, backup: bool) -> str:
        if base_url is None:
            return _region_base_url(region, backup=backup)
        url = URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValidationError(
                "base_url",
                f"base_url must be an http(s) URL like 'http://127.0.0.1:8080', got {base_url!r}",
            )
        return base_url.rstrip("/")

    def __repr__(self) -> str:
        return (
            f"TopicClient(sdkappid={self.sdkappid}, identifier={self.identifier!r}, "
            f"base_url={self.base_url!r})"
        )

    # -- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> TopicClient:
        self._path.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def closed(self) -> bool:
        return self._path.closed

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The HTTP session (None until the first call or ``async with``)."""
        return self._path.session

    async def aclose(self) -> None:
        """Close the client: its own HTTP session and limiter (a session or limiter passed
        in is left open for its owner). Calls made afterwards raise ClientClosedError."""
        if self._path.closed:
            return
        await self._path.aclose()
        if self._owns_limiter:
            await self.limiter.aclose()

    # -- the five commands ---------------------------------------------------------------

    async def create_topic(
        self,
        group_id: str,
        topic_name: str,
        topic_id: str | None = None,
        from_account: str | None = None,
        custom_string: str | None = None,
        face_url: str | None = None,
        notification: str | None = None,
        introduction: str | None = None,
    ) -> str:
        """Create a topic in a community group; returns its topic ID.

        Without ``topic_id`` the service assigns one, and an attempt whose answer was lost
        is not re-sent (it raises :class:`OutcomeUnknownError`) so no duplicate is made.
        """
        record = creation_record(
            group_id,
            topic_name,
            topic_id,
            None,
            from_account,
            custom_string,
            face_url,
            notification,
            introduction,
        )
        request = creation_request(record, "create_topic")
        return (await self.send_create("create_topic", request)).topic_id

    async def import_topic(
        self,
        group_id: str,
        topic_name: str,
        topic_id: str | None = None,
        create_time: int | datetime | None = None,
        from_account: str | None = None,
        custom_string: str | None = None,
        face_url: str | None = None,
        notification: str | None = None,
        introduction: str | None = None,
    ) -> str:
        """Import an existing topic (no webhooks; keeps ``create_time``); returns its ID."""
        record = creation_record(
            group_id,
            topic_name,
            topic_id,
            create_time,
            from_account,
            custom_string,
            face_url,
            notification,
            introduction,
        )
        request = creation_request(record, "import_topic")
        return (await self.send_create("import_topic", request)).topic_id

    async def get_topic(
        self,
        group_id: str,
        from_account: str | None = None,
        topic_ids: Sequence[str] | None = None,
        response_filter: Sequence[str] | None = None,
    ) -> list[TopicResult]:
        """Read topics of a group (all of them when ``topic_ids`` is None): one result per
        topic, each with its own ``error_code`` (110003 for a deleted topic).

        ``from_account`` defaults to the client's admin identifier. ``response_filter``
        names :class:`Topic` fields to return (``["topic_name", "notification"]``).
        """
        request = get_request(
            group_id,
            self.identifier if from_account is None else from_account,
            topic_ids,
            response_filter,
        )
        answer = await self._call("get_topic", request, GetTopicAnswer, resend_safe=True)
        return answer.topic_and_self_info

    async def modify_topic(
        self,
        group_id: str,
        topic_id: str,
        topic_name: str | None = None,
        from_account: str | None = None,
        face_url: str | None = None,
        notification: str | None = None,
        introduction: str | None = None,
        custom_string: str | None = None,
        mute_all_member: bool | None = None,
    ) -> None:
        """Change a topic's profile: only the fields given are sent."""
        request = modify_request(
            group_id,
            topic_id,
            topic_name=topic_name,
            from_account=from_account,
            face_url=face_url,
            notification=notification,
            introduction=introduction,
            custom_string=custom_string,
            mute_all_member=mute_all_member,
        )
        await self._call("modify_topic", request, Answer, resend_safe=True)

    async def destroy_topic(self, group_id: str, topic_ids: Sequence[str]) -> list[DestroyResult]:
        """Delete topics (cannot be undone): one result per topic (110003: already deleted)."""
        request = destroy_request(group_id, topic_ids)
        answer = await self._call("destroy_topic", request, DestroyTopicAnswer, resend_safe=True)
        return answer.destroy_result_item

    # -- the request path ----------------------------------------------------------------

    async def send_create(
        self, command: str, request: CreateTopicRequest | ImportTopicRequest
    ) -> CreateOutcome:
        """Send a checked create/import request; says whether the topic was made by an
        earlier attempt of this call whose answer was lost (``made_earlier``).

        The bulk importer uses this to tell "imported" from "exists".
        """
        state = _CallState()
        answer = await self._call(
            command,
            request,
            TopicIdAnswer,
            resend_safe=request.topic_id is not None,
            custom_id=request.topic_id,
            state=state,
        )
        if not answer.topic_id:
            raise DecodeError(f"{command}: the answer has no TopicId", command=command)
        return CreateOutcome(topic_id=answer.topic_id, made_earlier=state.in_use_after_ambiguity)

    async def _call(
        self,
        command: str,
        request: object,
        answer_type: type[A],
        *,
        resend_safe: bool,
        custom_id: str | None = None,
        state: _CallState | None = None,
    ) -> A:
        """Send one command with retries; returns its decoded answer.

        A create/import with a custom ID that got an ambiguous failure (sent, no answer) is
        re-sent; if the service then says the ID is in use (10021/10025), the earlier
        attempt made it, so that counts as success.
        """
        self._path.open()
        body = json.dumps(to_wire(request), ensure_ascii=False, separators=(",", ":")).encode()
        state = state or _CallState()
        call = self._call_with_retries(
            command, body, answer_type, resend_safe=resend_safe, custom_id=custom_id, state=state
        )
        if self._telemetry is None:
            return await call
        return await self._telemetry.observe(command, call, state)

    async def _call_with_retries(
        self,
        command: str,
        body: bytes,
        answer_type: type[A],
        *,
        resend_safe: bool,
        custom_id: str | None,
        state: _CallState,
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
        state: _CallState,
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
        self, command: str, body: bytes, state: _CallState, custom_id: str | None
    ) -> dict[str, Any]:
        """One attempt, with what it means for the call: an ambiguous failure is noted, and
        a custom ID found in use after one means an earlier attempt made the topic."""
        try:
            return await self._attempt_with_renewal(command, body, state)
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

    async def _attempt_with_renewal(
        self, command: str, body: bytes, state: _CallState
    ) -> dict[str, Any]:
        """One attempt; on 70001 (UserSig expired) renew it once and try once more."""
        try:
            return await self._attempt(command, body, state)
        except AuthError as exc:
            if exc.code != 70001 or state.renewed or not self._usersig.renewable:
                raise
            state.renewed = True
            logger.info("%s: UserSig expired (70001): renewing it and trying once more", command)
            self._usersig.renew()
            return await self._attempt(command, body, state)

    def _url(self, command: str) -> URL:
        sig = self._usersig.current()
        if sig != self._query_sig:
            self._query_sig = sig
            self._query_prefix = (
                f"sdkappid={self.sdkappid}&identifier={quote(self.identifier, safe='')}"
                f"&usersig={quote(sig, safe='')}&contenttype=json&random="
            )
        query = self._query_prefix + str(random.getrandbits(32))
        return URL(f"{self._urls[command]}?{query}", encoded=True)

    async def _attempt(self, command: str, body: bytes, state: _CallState) -> dict[str, Any]:
        """Exactly one HTTP request (see :class:`RequestPath`), then its answer decoded."""
        raw = await self._path.send(command, self._url(command), body, state)
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

    # -- bulk ------------------------------------------------------------------------------

    def import_topics(
        self,
        records: Iterable[TopicRecord] | AsyncIterable[TopicRecord],
        concurrency: int = 64,
        command: BulkCommand = "import",
        **options: Any,
    ) -> AsyncGenerator[ImportOutcome, None]:
        """Import (or with ``command="create"``, create) many topics, streaming: yields one
        :class:`~tim_topics.bulk.ImportOutcome` per record (``imported``, ``exists`` or
        ``failed``) as they finish, with at most ``concurrency`` in flight, at the rate
        limit, in flat memory. ``options`` are those of
        :func:`tim_topics.bulk.import_topics` (``journal=`` makes it resumable)::

            async for outcome in client.import_topics(records):
                print(outcome.index, outcome.status, outcome.topic_id or outcome.error)
        """
        from .bulk.engine import import_topics

        return import_topics(self, records, concurrency, command, **options)

    def export_topics(
        self,
        group_ids: Iterable[str],
        *,
        group_map: Mapping[str, str] | None = None,
        concurrency: int = 4,
    ) -> AsyncIterator[ExportItem]:
        """Every topic of ``group_ids`` as records of the import format: one
        :class:`~tim_topics.bulk.export.ExportItem` per topic (see
        :func:`tim_topics.bulk.export.export_topics`)::

            async for item in client.export_topics([group_id]):
                if item.record is not None:
                    print(record_line(item.record))
        """
        from .bulk.export import export_topics

        return export_topics(self, group_ids, group_map=group_map, concurrency=concurrency)

    # -- information -----------------------------------------------------------------------

    def effective_rate(self, command: str) -> float:
        """The rate (calls/s) the limiter lets ``command`` run at now."""
        return self.limiter.effective_rate(command)


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


def _telemetry(
    client: TopicClient,
    tracer_provider: TracerProvider | None,
    meter_provider: MeterProvider | None,
) -> Telemetry | None:
    """OpenTelemetry spans and metrics when the API is installed; None (nothing imported,
    nothing done) otherwise."""
    if tracer_provider is None and meter_provider is None and not telemetry_available():
        return None
    from . import __version__

    return Telemetry(
        version=__version__,
        host=URL(client.base_url).host or "",
        effective_rate=client.effective_rate,
        commands=tuple(client.services),
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
    )


def _check_count(field: str, value: int | None, *, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(field, f"{field} is {value!r}, it must be a whole number from 1")
