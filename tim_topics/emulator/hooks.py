"""The webhook seam: what the emulator tells the app's callback about topic events.

The emulator awaits a :class:`TopicEventSink` at the points where the service would call the
app's webhooks, with one event record per call (:mod:`.events`): :meth:`~TopicEventSink.ask`
for the before-create webhook, whose answer decides, and :meth:`~TopicEventSink.send` for the
after-events. The sink decides about time-outs and background sending; the emulator only
awaits it. :class:`NoWebhooks` (the default) allows everything and sends nothing; the HTTP
sender is :class:`tim_topics.emulator.webhook_sender.WebhookSender`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .events import CreatingTopic, TopicEvent
from .spec import APP_DEFINED_CODES, WEBHOOK_REJECTED


@runtime_checkable
class TopicEventSink(Protocol):
    """Receives the topic events the service reports to the app's webhooks."""

    async def ask(self, event: CreatingTopic) -> tuple[int, str]:
        """The app's verdict on a creation as (ErrorCode, ErrorInfo): (0, "") allows it;
        1 refuses it (the caller gets 10016); a code in 10100..10200 refuses it and is
        passed to the caller with its ErrorInfo."""
        ...

    async def send(self, event: TopicEvent) -> None:
        """Report one after-event: a topic created (not imported), topics destroyed, or a
        topic's name, introduction, notification or face URL changed."""
        ...

    async def aclose(self) -> None:
        """Release what the sink holds (sessions, pending sends)."""
        ...


class NoWebhooks:
    """The sink of an app without webhooks: allows every creation, reports nothing."""

    async def ask(self, event: CreatingTopic) -> tuple[int, str]:
        return 0, ""

    async def send(self, event: TopicEvent) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def webhook_verdict(sink: TopicEventSink, question: CreatingTopic) -> tuple[int, str] | None:
    """Ask the app's before-create webhook: None allows, else the caller's
    (ErrorCode, ErrorInfo)."""
    code, info = await sink.ask(question)
    if code == 0:
        return None
    if code in APP_DEFINED_CODES:
        return code, info
    return WEBHOOK_REJECTED, f"the app's webhook refused the topic creation (code {code})"
