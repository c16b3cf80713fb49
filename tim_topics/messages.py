"""Requests and answers of the five commands, as records (snake_case, wire-agnostic).

:mod:`tim_topics.wire` turns them into the JSON bodies the service speaks. Optional
fields left at None are not sent, so a modify carries only what changes.
"""

from __future__ import annotations

import attrs

from .models import DestroyResult, TopicResult


@attrs.frozen(kw_only=True)
class CreateTopicRequest:
    """Body of create_topic."""

    group_id: str
    topic_name: str
    topic_id: str | None = None
    from_account: str | None = None
    custom_string: str | None = None
    face_url: str | None = None
    notification: str | None = None
    introduction: str | None = None


@attrs.frozen(kw_only=True)
class ImportTopicRequest(CreateTopicRequest):
    """Body of import_topic: create_topic's fields plus ``CreateTime``. (The optional
    ``Type`` the page shows can only be ``Community``, so it is never sent.)"""

    create_time: int | None = None


@attrs.frozen(kw_only=True)
class GetTopicRequest:
    """Body of get_topic."""

    group_id: str
    from_account: str
    topic_id_list: list[str] | None = None
    response_filter: list[str] | None = None


@attrs.frozen(kw_only=True)
class ModifyTopicRequest:
    """Body of modify_topic: only the fields that are set are sent."""

    group_id: str
    topic_id: str
    topic_name: str | None = None
    from_account: str | None = None
    face_url: str | None = None
    notification: str | None = None
    introduction: str | None = None
    custom_string: str | None = None
    mute_all_member: bool | None = None


@attrs.frozen(kw_only=True)
class DestroyTopicRequest:
    """Body of destroy_topic."""

    group_id: str
    topic_id_list: list[str]


@attrs.frozen(kw_only=True)
class Answer:
    """What every answer carries."""

    action_status: str = "OK"
    error_code: int = 0
    error_info: str = ""
    request_id: str | None = None


@attrs.frozen(kw_only=True)
class TopicIdAnswer(Answer):
    """Answer of create_topic and import_topic."""

    topic_id: str | None = None


@attrs.frozen(kw_only=True)
class GetTopicAnswer(Answer):
    """Answer of get_topic: one item per topic, each with its own error code."""

    topic_and_self_info: list[TopicResult] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class DestroyTopicAnswer(Answer):
    """Answer of destroy_topic: one item per topic, each with its own error code."""

    destroy_result_item: list[DestroyResult] = attrs.field(factory=list)
