"""The topic events the service reports to the app's webhooks, one record per webhook.

The backend makes them; a :class:`~tim_topics.emulator.hooks.TopicEventSink` receives them,
one event per call.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs


@attrs.frozen(kw_only=True)
class CreatingTopic:
    """A create_topic about to be committed: the before-create webhook's question (the
    service sends no GroupId with it)."""

    group_id: str
    operator_account: str
    topic_name: str


@attrs.frozen(kw_only=True)
class TopicCreated:
    """A topic was created (not imported: import_topic reports nothing)."""

    group_id: str
    topic_id: str
    operator_account: str
    owner_account: str
    topic_name: str


@attrs.frozen(kw_only=True)
class TopicsDestroyed:
    """These topics were deleted by one destroy_topic call."""

    group_id: str
    topic_ids: tuple[str, ...]


@attrs.frozen(kw_only=True)
class TopicInfoChanged:
    """A modify_topic changed some of name, introduction, notification, face URL."""

    group_id: str
    topic_id: str
    operator_account: str
    changed: Mapping[str, str]
    """Webhook keys (``Name``, ``Introduction``, ``Notification``, ``FaceUrl``) -> new value."""


#: The after-events: what :meth:`TopicEventSink.send` receives.
TopicEvent = TopicCreated | TopicsDestroyed | TopicInfoChanged
