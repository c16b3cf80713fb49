"""The asyncio client of the five topic commands.

Public methods are short: build the checked request (:mod:`~tim_topics.request_builder`),
run it (:class:`~tim_topics.calls.CallRunner`: retries, UserSig renewal, ambiguity; each
attempt one :class:`~tim_topics.request_path.RequestPath` request), convert the answer.
"""

from __future__ import annotations

from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Coroutine,
    Iterable,
    Mapping,
    Sequence,
)
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
from yarl import URL

from .calls import CallRunner, CallState, CreateOutcome
from .endpoints import SERVICE_RATE_LIMIT, base_url_of, command_path, services_with
from .errors import (
    DecodeError,
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
from .metrics import ClientMetrics
from .models import DestroyResult, TopicRecord, TopicResult
from .request_builder import (
    creation_record,
    creation_request,
    destroy_request,
    get_request,
    modify_request,
)
from .request_path import DEFAULT_MAX_ANSWER_BYTES, RequestPath, pool_size_needed
from .retry import RetryPolicy
from .telemetry import client_telemetry
from .usersig import DEFAULT_VALIDITY, usersig_source
from .validation import check_account, check_count

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from .bulk.engine import JournalLike
    from .bulk.export import ExportItem
    from .bulk.outcome import ImportOutcome
    from .bulk.pacing import ImportGauges
    from .bulk.record_checks import BulkCommand

A = TypeVar("A", bound=Answer)

#: Per-attempt time-out: longer than the service's own 3 s.
DEFAULT_TIMEOUT = 6.0


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
        self._usersig = usersig_source(
            sdkappid, identifier, secret_key, usersig, validity=usersig_validity
        )
        if not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValidationError("timeout", f"timeout is {timeout!r}, it must be above 0 s")
        self.sdkappid = sdkappid
        self.identifier = identifier
        self.base_url = base_url_of(base_url, region, backup=backup_domain)
        self.services = services_with(services)
        self.timeout = float(timeout)
        self.retry_policy = retry or RetryPolicy()
        self._owns_limiter = limiter is None
        self.limiter: Limiter = (
            limiter if limiter is not None else LocalLimiter(rate_limit, adaptive=adaptive)
        )
        if connection_limit is not None:
            check_count("connection_limit", connection_limit)
        check_count("max_answer_bytes", max_answer_bytes)
        self.metrics = ClientMetrics()
        self._path = RequestPath(
            self.limiter,
            timeout=self.timeout,
            pool_size=connection_limit
            or pool_size_needed(self.limiter, self.services, rate_limit, self.timeout),
            session=session,
            max_answer_bytes=max_answer_bytes,
            metrics=self.metrics,
            default_limit=rate_limit,
        )
        self._calls = CallRunner(
            path=self._path,
            limiter=self.limiter,
            retry_policy=self.retry_policy,
            usersig=self._usersig,
            urls={
                command: str(URL(self.base_url + command_path(service, command)))
                for command, service in self.services.items()
            },
            sdkappid=sdkappid,
            identifier=identifier,
            metrics=self.metrics,
            telemetry=client_telemetry(
                host=URL(self.base_url).host or "",
                effective_rate=self.limiter.effective_rate,
                commands=tuple(self.services),
                tracer_provider=tracer_provider,
                meter_provider=meter_provider,
            ),
        )

    @property
    def connection_pool_size(self) -> int | None:
        """Connections the pool may hold (None: a session passed in with no limit)."""
        return self._path.pool_size

    def __repr__(self) -> str:
        fields = f"sdkappid={self.sdkappid}, identifier={self.identifier!r}"
        return f"TopicClient({fields}, base_url={self.base_url!r})"

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
        self._path.open()
        state = CallState()
        answer = await self._calls.call(
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

    def _call(
        self, command: str, request: object, answer_type: type[A], *, resend_safe: bool
    ) -> Coroutine[Any, Any, A]:
        self._path.open()
        return self._calls.call(command, request, answer_type, resend_safe=resend_safe)

    # -- bulk ------------------------------------------------------------------------------

    def import_topics(
        self,
        records: Iterable[TopicRecord] | AsyncIterable[TopicRecord],
        concurrency: int | None = None,
        command: BulkCommand = "import",
        *,
        journal: JournalLike = None,
        gauges: ImportGauges | None = None,
        settle_wait: float | None = None,
        clock_skew: float | None = None,
        max_sends: int | None = None,
        retry_failed: bool = True,
        outage_limit: float | None = None,
    ) -> AsyncGenerator[ImportOutcome, None]:
        """Import (or with ``command="create"``, create) many topics, streaming: yields one
        :class:`~tim_topics.bulk.ImportOutcome` per record (``imported``, ``exists``,
        ``failed`` or ``unknown``) as they finish, at the rate limit, in flat memory.

        ``concurrency`` None (the default) keeps as many records in flight as the limit
        needs at the latency observed; an int caps them. ``journal=`` (a path or a
        :class:`~tim_topics.bulk.Journal`) makes the import resumable. The other options
        are those of :func:`tim_topics.bulk.import_topics`; None keeps its default
        (``settle_wait`` 3 s, ``outage_limit`` 300 s, ...)::

            async for outcome in client.import_topics(records):
                print(outcome.index, outcome.status, outcome.topic_id or outcome.error)
        """
        from .bulk.engine import import_topics

        given: dict[str, Any] = {
            "settle_wait": settle_wait,
            "clock_skew": clock_skew,
            "max_sends": max_sends,
            "outage_limit": outage_limit,
        }
        return import_topics(
            self,
            records,
            concurrency,
            command,
            journal=journal,
            gauges=gauges,
            retry_failed=retry_failed,
            **{name: value for name, value in given.items() if value is not None},
        )

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
