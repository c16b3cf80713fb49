"""The emulator's webhook sender: POSTs topic events to the app's callback URL the way the
service does (the vendor's topic webhook pages).

- Query: ``SdkAppid``, ``CallbackCommand``, ``contenttype=json``, ``ClientIP``,
  ``OptPlatform``, plus ``Sign`` and ``RequestTime`` when a token is set. The body repeats
  ``CallbackCommand``.
- One keep-alive session; each webhook waits at most ``timeout`` (2 s, the service's) and
  is never retried.
- Before-create: the app's ``(ErrorCode, ErrorInfo)`` when it answers HTTP 200 JSON with
  an integer ``ErrorCode``; anything else (unreachable, slow, non-200, not JSON) allows,
  as the service does, with a warning in the log.
- After-events are sent in the background, so an app that is slow or down never delays
  or breaks the API call; :meth:`WebhookSender.drain` waits until all were delivered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import attrs
from yarl import URL

from ..webhooks.signing import webhook_sign
from .events import CreatingTopic, TopicCreated, TopicEvent, TopicInfoChanged, TopicsDestroyed

logger = logging.getLogger("tim_topics.emulator.webhooks")

BEFORE_CREATE = "Group.CallbackBeforeCreateTopic"
AFTER_CREATE = "Group.CallbackAfterCreateTopic"
AFTER_DESTROYED = "Group.CallbackAfterTopicDestroyed"
AFTER_INFO_CHANGED = "Group.CallbackAfterTopicInfoChanged"

#: What the emulator reports as the caller's address and platform (a REST API call).
CLIENT_IP = "127.0.0.1"
OPT_PLATFORM = "RESTAPI"
GROUP_TYPE = "Community"


def after_event_webhook(event: TopicEvent) -> tuple[str, dict[str, Any]]:
    """The CallbackCommand and body (without CallbackCommand) of an after-event."""
    if isinstance(event, TopicCreated):
        return AFTER_CREATE, {
            "GroupId": event.group_id,
            "TopicId": event.topic_id,
            "Operator_Account": event.operator_account,
            "Owner_Account": event.owner_account,
            "Type": GROUP_TYPE,
            "Name": event.topic_name,
            "UserDefinedDataList": [],
        }
    if isinstance(event, TopicsDestroyed):
        return AFTER_DESTROYED, {
            "GroupId": event.group_id,
            "Type": GROUP_TYPE,
            "TopicIdList": list(event.topic_ids),
        }
    if isinstance(event, TopicInfoChanged):
        return AFTER_INFO_CHANGED, {
            "GroupId": event.group_id,
            "TopicId": event.topic_id,
            "Type": GROUP_TYPE,
            "Operator_Account": event.operator_account,
            **event.changed,
        }
    raise TypeError(f"not a topic event: {event!r}")


@attrs.define(kw_only=True, eq=False)
class WebhookSender:
    """Sends the topic webhooks of one app to ``url`` (a :class:`TopicEventSink`).

    ``token`` is the console's webhook token (None: requests are not signed). ``clock``
    gives the Unix time put in ``RequestTime``.
    """

    url: str = attrs.field(repr=lambda url: str(URL(url).with_query(None)))
    sdkappid: int
    token: str | None = attrs.field(default=None, repr=False)
    timeout: float = 2.0
    clock: Callable[[], float] = attrs.field(default=time.time, repr=False)
    _session: aiohttp.ClientSession | None = attrs.field(default=None, init=False, repr=False)
    _pending: set[asyncio.Task[None]] = attrs.field(factory=set, init=False, repr=False)
    _closed: bool = attrs.field(default=False, init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        target = URL(self.url)
        if target.scheme not in ("http", "https") or not target.host:
            raise ValueError(f"webhook url must be an http(s) URL, got {self.url!r}")
        if not self.timeout > 0:
            raise ValueError(f"webhook timeout must be > 0 seconds, got {self.timeout!r}")

    async def ask(self, event: CreatingTopic) -> tuple[int, str]:
        """The app's verdict; (0, "") when it allows or could not be asked."""
        body = {
            "Operator_Account": event.operator_account,
            "Type": GROUP_TYPE,
            "Name": event.topic_name,
        }
        answer = await self._post(BEFORE_CREATE, body)
        if answer is None:
            return 0, ""
        code = answer.get("ErrorCode")
        if type(code) is not int:
            logger.warning(
                "webhook %s to %s: answer has no integer ErrorCode; allowed",
                BEFORE_CREATE,
                self._where,
            )
            return 0, ""
        info = answer.get("ErrorInfo")
        return code, info if isinstance(info, str) else ""

    async def send(self, event: TopicEvent) -> None:
        """Send the after-event's webhook in the background."""
        self._send_later(*after_event_webhook(event))

    async def drain(self) -> None:
        """Wait until every after-event sent so far was delivered (or failed)."""
        # Only the sends not done yet: a finished task leaves ``_pending`` in a callback of
        # the next loop turn, and from Python 3.12 a gather of finished tasks returns without
        # yielding, so waiting on them again would spin without ever letting that turn come.
        while pending := [task for task in self._pending if not task.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def aclose(self) -> None:
        """Finish pending sends (each is bounded by ``timeout``) and close the session."""
        self._closed = True
        try:
            await asyncio.wait_for(self.drain(), self.timeout + 1.0)
        except asyncio.TimeoutError:
            for task in list(self._pending):
                task.cancel()
            await asyncio.gather(*list(self._pending), return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def _where(self) -> str:
        return str(URL(self.url).with_query(None))

    def _send_later(self, command: str, body: dict[str, Any]) -> None:
        if self._closed:
            logger.warning("webhook %s not sent: the sender is closed", command)
            return
        task = asyncio.get_running_loop().create_task(self._deliver(command, body))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _deliver(self, command: str, body: dict[str, Any]) -> None:
        await self._post(command, body)

    async def _post(self, command: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """POST one webhook; its decoded JSON answer, or None (logged) if it failed."""
        if self._closed and command == BEFORE_CREATE:
            logger.warning("webhook %s not sent: the sender is closed; allowed", command)
            return None
        try:
            async with self._get_session().post(
                URL(self.url).update_query(self._query(command)),
                json={"CallbackCommand": command, **body},
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, UnicodeDecodeError) as exc:
            logger.warning("webhook %s to %s failed: %s", command, self._where, type(exc).__name__)
            return None
        if status != 200:
            logger.warning("webhook %s to %s: HTTP %d", command, self._where, status)
            return None
        try:
            answer = json.loads(text)
        except json.JSONDecodeError:
            answer = None
        if not isinstance(answer, dict):
            logger.warning("webhook %s to %s: answer is not a JSON object", command, self._where)
            return None
        return answer

    def _query(self, command: str) -> dict[str, str]:
        query = {
            "SdkAppid": str(self.sdkappid),
            "CallbackCommand": command,
            "contenttype": "json",
            "ClientIP": CLIENT_IP,
            "OptPlatform": OPT_PLATFORM,
        }
        if self.token is not None:
            request_time = str(int(self.clock()))
            query["RequestTime"] = request_time
            query["Sign"] = webhook_sign(self.token, request_time)
        return query

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session
