"""The asyncio client of the five topic commands.

Public methods are short: check the input, build the request record, call
:meth:`TopicClient._call`, convert the answer. ``_call`` is the only place that knows about
the limiter, retries, UserSig renewal, time-outs and error decoding.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncGenerator, AsyncIterable, Iterable, Mapping, Sequence
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
    AuthError,
    ClientClosedError,
    DecodeError,
    OutcomeUnknownError,
    TransportError,
    ValidationError,
)
from .limiter import Limiter, LocalLimiter
from .messages import (
    Answer,
    CreateTopicRequest,
    DestroyTopicAnswer,
    DestroyTopicRequest,
    GetTopicAnswer,
    GetTopicRequest,
    ImportTopicRequest,
    ModifyTopicRequest,
    TopicIdAnswer,
)
from .models import DestroyResult, Topic, TopicRecord, TopicResult
from .retry import THROTTLE_CODES, RetryPolicy, is_ambiguous, should_retry
from .usersig import DEFAULT_VALIDITY, GeneratedUserSig, StaticUserSig, UserSigSource
from .validation import (
    check_account,
    check_bool,
    check_create_time,
    check_group_id,
    check_text,
    check_topic_id,
    check_topic_ids,
)
from .wire import from_wire, to_wire, wire_name

if TYPE_CHECKING:
    from .bulk.outcome import ImportOutcome
    from .bulk.record_checks import BulkCommand

logger = logging.getLogger("tim_topics.client")

A = TypeVar("A", bound=Answer)

#: Per-attempt time-out: longer than the service's own 3 s.
DEFAULT_TIMEOUT = 6.0

#: Topic fields a get_topic ``response_filter`` may name.
FILTERABLE_FIELDS = tuple(
    field.name for field in attrs.fields(Topic) if field.name not in ("group_id", "topic_id")
)


@attrs.define
class _CallState:
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


@attrs.define
class ClientMetrics:
    """Counters of one client, for progress displays and tests."""

    requests: int = 0
    """HTTP requests sent (attempts)."""
    retries: int = 0
    """Attempts that were retries of an earlier failed attempt."""
    throttled: int = 0
    """Answers that said the rate limit was exceeded (10006 and the like)."""


class TopicClient:
    """An asyncio client for create, import, get, modify and destroy topic.

    Use it as ``async with TopicClient(...) as client:`` or call :meth:`aclose` when done.
    One client is meant to be shared by every task of an app: it holds one HTTP session
    (keep-alive, pooled connections) and one rate limiter bucket per command.
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
        connection_limit: int = 100,
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
        self._session = session
        self._owns_session = session is None
        self._connection_limit = connection_limit
        self._closed = False
        self.metrics = ClientMetrics()
        self._urls = {
            command: str(URL(self.base_url + command_path(service, command)))
            for command, service in self.services.items()
        }
        self._query_sig = ""
        self._query_prefix = ""

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
        self._ensure_session()
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
        return self._closed

    async def aclose(self) -> None:
        """Close the client: its own HTTP session and limiter (a session or limiter passed
        in is left open for its owner). Calls made afterwards raise ClientClosedError."""
        if self._closed:
            return
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()
        if self._owns_limiter:
            await self.limiter.aclose()

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("this TopicClient is closed")
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._connection_limit, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

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
        request = CreateTopicRequest(
            **_creation_fields(
                group_id,
                topic_name,
                topic_id,
                from_account,
                custom_string,
                face_url,
                notification,
                introduction,
            )
        )
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
        request = ImportTopicRequest(
            **_creation_fields(
                group_id,
                topic_name,
                topic_id,
                from_account,
                custom_string,
                face_url,
                notification,
                introduction,
            ),
            create_time=_opt(create_time, check_create_time),
        )
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
        check_group_id(group_id)
        request = GetTopicRequest(
            group_id=group_id,
            from_account=check_account(self.identifier if from_account is None else from_account),
            topic_id_list=_opt(topic_ids, lambda v: check_topic_ids(v, group_id, allow_empty=True)),
            response_filter=_opt(response_filter, _wire_filter),
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
        request = ModifyTopicRequest(
            group_id=check_group_id(group_id),
            topic_id=check_topic_id(topic_id, group_id, custom=False),
            topic_name=_opt(topic_name, lambda v: check_text("topic_name", v, required=True)),
            from_account=_opt(from_account, check_account),
            face_url=_opt_text("face_url", face_url),
            notification=_opt_text("notification", notification),
            introduction=_opt_text("introduction", introduction),
            custom_string=_opt_text("custom_string", custom_string),
            mute_all_member=_opt(mute_all_member, lambda v: check_bool(v, "mute_all_member")),
        )
        changes = attrs.asdict(request, filter=lambda a, v: v is not None)
        if set(changes) <= {"group_id", "topic_id", "from_account"}:
            raise ValidationError(
                "modify_topic",
                "nothing to modify: give at least one of topic_name, face_url, notification, "
                "introduction, custom_string, mute_all_member",
            )
        await self._call("modify_topic", request, Answer, resend_safe=True)

    async def destroy_topic(self, group_id: str, topic_ids: Sequence[str]) -> list[DestroyResult]:
        """Delete topics (cannot be undone): one result per topic (110003: already deleted)."""
        request = DestroyTopicRequest(
            group_id=check_group_id(group_id),
            topic_id_list=check_topic_ids(topic_ids, group_id),
        )
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
        self._ensure_session()
        body = json.dumps(to_wire(request), ensure_ascii=False, separators=(",", ":")).encode()
        state = state or _CallState()
        try:
            try:
                data = await self._settled_attempt(command, body, state, custom_id)
            except Exception as first:
                if not should_retry(first, resend_safe=resend_safe):
                    raise
                data = await self._retry(command, body, state, custom_id, resend_safe, first)
            return from_wire(data, answer_type, what=command)
        except TransportError as exc:
            if exc.sent and not resend_safe and not isinstance(exc, OutcomeUnknownError):
                raise OutcomeUnknownError(
                    f"{command}: {exc}; the request was sent but no answer came, so the topic "
                    "may or may not exist. It was not re-sent, to avoid a duplicate: check "
                    "with get_topic, or use a custom topic_id to make retries safe",
                    command=command,
                    status=exc.status,
                ) from None
            raise

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
        async for attempt in retrying:
            with attempt:
                if pending:
                    raise pending.pop()
                return await self._settled_attempt(command, body, state, custom_id)
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
        except TransportError as exc:
            if is_ambiguous(exc):
                state.ambiguous = True
            raise

    async def _attempt_with_renewal(
        self, command: str, body: bytes, state: _CallState
    ) -> dict[str, Any]:
        """One attempt; on 70001 (UserSig expired) renew it once and try once more."""
        try:
            return await self._attempt(command, body)
        except AuthError as exc:
            if exc.code != 70001 or state.renewed or not self._usersig.renewable:
                raise
            state.renewed = True
            logger.info("%s: UserSig expired (70001): renewing it and trying once more", command)
            self._usersig.renew()
            return await self._attempt(command, body)

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

    async def _attempt(self, command: str, body: bytes) -> dict[str, Any]:
        """Exactly one HTTP request: take a token, send, decode. Raises the right error."""
        session = self._ensure_session()
        await self.limiter.acquire(command)
        url = self._url(command)
        self.metrics.requests += 1
        try:
            async with session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json"},
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                raw = await response.read()
                status = response.status
        except aiohttp.ClientConnectorError as exc:
            raise TransportError(
                f"{command}: cannot connect to {url.host}:{url.port}: {_reason(exc)}",
                command=command,
                sent=False,
            ) from None
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
            raise TransportError(
                f"{command}: no answer within {self.timeout:g} s", command=command, sent=True
            ) from None
        except aiohttp.ClientError as exc:
            if self._closed:
                raise ClientClosedError("this TopicClient was closed during the call") from None
            raise TransportError(
                f"{command}: connection failed: {type(exc).__name__}: {_reason(exc)}",
                command=command,
                sent=True,
            ) from None
        except RuntimeError:
            if self._closed or session.closed:
                raise ClientClosedError("this TopicClient was closed during the call") from None
            raise
        if status != 200:
            raise TransportError(
                f"{command}: HTTP {status} from {url.host} (a gateway or network answer, "
                f"not the service's JSON)",
                command=command,
                status=status,
                sent=True,
            )
        try:
            data = decode_answer(raw, command)
        except Exception as exc:
            code = getattr(exc, "code", None)
            if code is not None:
                if code in THROTTLE_CODES:
                    self.metrics.throttled += 1
                self.limiter.feedback(command, throttled=code in THROTTLE_CODES)
            raise
        self.limiter.feedback(command, throttled=False)
        return data

    def _before_retry(self, command: str) -> Any:
        def before_sleep(state: tenacity.RetryCallState) -> None:
            self.metrics.retries += 1
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            logger.warning(
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

    # -- information -----------------------------------------------------------------------

    def effective_rate(self, command: str) -> float:
        """The rate (calls/s) the limiter lets ``command`` run at now."""
        return self.limiter.effective_rate(command)


def _reason(exc: BaseException) -> str:
    """An exception's text with anything that looks like a URL query removed (it would hold
    the UserSig)."""
    text = str(exc)
    return text.split("?", 1)[0] if "?" in text else text


def _creation_fields(
    group_id: str,
    topic_name: str,
    topic_id: str | None,
    from_account: str | None,
    custom_string: str | None,
    face_url: str | None,
    notification: str | None,
    introduction: str | None,
) -> dict[str, Any]:
    """The checked fields create_topic and import_topic share."""
    return {
        "group_id": check_group_id(group_id),
        "topic_name": check_text("topic_name", topic_name, required=True),
        "topic_id": _opt(topic_id, lambda v: check_topic_id(v, group_id, custom=True)),
        "from_account": _opt(from_account, check_account),
        "custom_string": _opt_text("custom_string", custom_string),
        "face_url": _opt_text("face_url", face_url),
        "notification": _opt_text("notification", notification),
        "introduction": _opt_text("introduction", introduction),
    }


def _opt(value: Any, check: Any) -> Any:
    return None if value is None else check(value)


def _opt_text(field: str, value: str | None) -> str | None:
    return None if value is None else check_text(field, value)


def _wire_filter(names: Sequence[str]) -> list[str]:
    if isinstance(names, (str, bytes)):
        raise ValidationError(
            "response_filter", "response_filter must be a list of Topic field names, not a str"
        )
    wire = []
    for name in names:
        if name not in FILTERABLE_FIELDS:
            raise ValidationError(
                "response_filter",
                f"response_filter: {name!r} is not a Topic field; choose from {', '.join(FILTERABLE_FIELDS)}",
            )
        wire.append(wire_name(Topic, name))
    return wire
