"""The webhook seam: what the emulator tells the app's callback about topic events.

The emulator awaits a :class:`TopicEventSink` at the points where the service would call the
app's webhooks. The sink decides about time-outs and background sending; the emulator only
awaits it. :class:`NoWebhooks` (the default) allows everything and sends nothing; the HTTP
sender lives in :mod:`tim_topics.emulator.webhook_sender`.
"""

from __future__ import annotations

from typing import Final, Protocol, runtime_checkable

from .backend import NewTopic, TopicCreated, TopicEvent, TopicInfoChanged, TopicsDestroyed

#: The codes a before-create webhook may pass on to the caller; any other refusal is 10016.
APP_DEFINED_CODES: Final = range(10100, 10201)
WEBHOOK_REJECTED: Final = 10016


@runtime_checkable
class TopicEventSink(Protocol):
    """Receives the topic events the service reports to the app's webhooks."""

    async def before_create_topic(
        self, *, group_id: str, operator_account: str, topic_name: str
    ) -> tuple[int, str]:
        """The app's verdict as (ErrorCode, ErrorInfo): (0, "") allows the creation; 1
        refuses it (the caller gets 10016); a code in 10100..10200 refuses it and is passed
        to the caller with its ErrorInfo."""
        ...

    async def after_create_topic(
        self,
        *,
        group_id: str,
        topic_id: str,
        operator_account: str,
        owner_account: str,
        topic_name: str,
    ) -> None:
        """A topic was created (not imported: import_topic sends nothing)."""
        ...

    async def after_topic_destroyed(self, *, group_id: str, topic_ids: list[str]) -> None:
        """These topics were deleted by one destroy_topic call."""
        ...

    async def after_topic_info_changed(
        self, *, group_id: str, topic_id: str, operator_account: str, changed: dict[str, str]
    ) -> None:
        """A modify_topic changed some of name, introduction, notification, face URL.

        ``changed`` maps wire keys among ``Name``, ``Introduction``, ``Notification``,
        ``FaceUrl`` to their new values (only those whose value changed)."""
        ...

    async def aclose(self) -> None:
        """Release what the sink holds (sessions, pending sends)."""
        ...


class NoWebhooks:
    """The sink of an app without webhooks: allows every creation, reports nothing."""

    async def before_create_topic(
        self, *, group_id: str, operator_account: str, topic_name: str
    ) -> tuple[int, str]:
        return 0, ""

    async def after_create_topic(
        self,
        *,
        group_id: str,
        topic_id: str,
        operator_account: str,
        owner_account: str,
        topic_name: str,
    ) -> None:
        return None

    async def after_topic_destroyed(self, *, group_id: str, topic_ids: list[str]) -> None:
        return None

    async def after_topic_info_changed(
        self, *, group_id: str, topic_id: str, operator_account: str, changed: dict[str, str]
    ) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def webhook_verdict(sink: TopicEventSink, new: NewTopic) -> tuple[int, str] | None:
    """Ask the app's before-create webhook about ``new``: None allows, else the caller's
    (ErrorCode, ErrorInfo)."""
    code, info = await sink.before_create_topic(
        group_id=new.group_id, operator_account=new.operator_account, topic_name=new.topic_name
    )
    if code == 0:
        return None
    if code in APP_DEFINED_CODES:
        return code, info
    return WEBHOOK_REJECTED, f"the app's webhook refused the topic creation (code {code})"


async def report_event(sink: TopicEventSink, event: TopicEvent) -> None:
    """Tell the app's after-event webhook about ``event``."""
    if isinstance(event, TopicCreated):
        await sink.after_create_topic(
            group_id=event.group_id,
            topic_id=event.topic_id,
            operator_account=event.operator_account,
            owner_account=event.owner_account,
            topic_name=event.topic_name,
        )
    elif isinstance(event, TopicsDestroyed):
        await sink.after_topic_destroyed(group_id=event.group_id, topic_ids=list(event.topic_ids))
    elif isinstance(event, TopicInfoChanged):
        await sink.after_topic_info_changed(
            group_id=event.group_id,
            topic_id=event.topic_id,
            operator_account=event.operator_account,
            changed=dict(event.changed),
        )
