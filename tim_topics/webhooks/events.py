"""The topic webhooks the service sends, as records.

Every event carries the request context from the URL's query (``sdkappid``,
``client_ip``, ``opt_platform``, ``request_time``) and the fields of its body. A field
the body leaves out is None (an empty list for lists): the service adds and drops fields
over time, so only ``CallbackCommand`` is required. Wire names are registered with
:mod:`tim_topics.wire` below; :func:`tim_topics.webhooks.parse_webhook` does the
conversion.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs

from ..wire import register_wire_names


@attrs.frozen(kw_only=True)
class UserDefinedData:
    """One custom key/value pair of a topic (``UserDefinedDataList`` items)."""

    key: str
    """The custom field's key (``Key``)."""
    value: str
    """The custom field's value (``Value``)."""


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """What every webhook carries: the context the service puts in the URL's query."""

    COMMAND: ClassVar[str] = ""
    """The ``CallbackCommand`` of this event type ("" for :class:`UnknownWebhook`)."""

    sdkappid: int | None = None
    """The app the webhook is for (``SdkAppid``)."""
    client_ip: str | None = None
    """IP address of the client that caused the event (``ClientIP``)."""
    opt_platform: str | None = None
    """Platform of that client (``OptPlatform``), as the vendor's list gives them: RESTAPI,
    Web, Android, iOS, Windows, Mac, iPad or Unknown (one callback's sample shows ``IOS``:
    compare without case). Kept as the service sent it."""
    request_time: int | None = None
    """When the service sent the webhook, Unix seconds (``RequestTime``; only sent when
    webhook authentication is enabled)."""


@attrs.frozen(kw_only=True)
class BeforeCreateTopic(WebhookEvent):
    """Sent before a topic is created; the answer decides whether it is (see
    :class:`~tim_topics.webhooks.Allow` and :class:`~tim_topics.webhooks.Refuse`)."""

    COMMAND: ClassVar[str] = "Group.CallbackBeforeCreateTopic"

    operator_account: str | None = None
    """The account creating the topic (``Operator_Account``)."""
    group_type: str | None = None
    """The group's type, ``Community`` (``Type``)."""
    topic_name: str | None = None
    """The new topic's name (``Name``)."""
    group_id: str | None = None
    """The community group (``GroupId``). Not documented for this webhook: None unless
    the service sends one."""


@attrs.frozen(kw_only=True)
class AfterCreateTopic(WebhookEvent):
    """Sent after a topic was created."""

    COMMAND: ClassVar[str] = "Group.CallbackAfterCreateTopic"

    group_id: str | None = None
    """The community group (``GroupId``)."""
    topic_id: str | None = None
    """The new topic's ID (``TopicId``)."""
    operator_account: str | None = None
    """The account that created the topic (``Operator_Account``)."""
    owner_account: str | None = None
    """The topic's owner (``Owner_Account``)."""
    group_type: str | None = None
    """The group's type, ``Community`` (``Type``)."""
    topic_name: str | None = None
    """The topic's name (``Name``)."""
    user_defined_data: list[UserDefinedData] = attrs.field(factory=list)
    """The topic's custom fields (``UserDefinedDataList``)."""


@attrs.frozen(kw_only=True)
class AfterTopicDestroyed(WebhookEvent):
    """Sent after topics were deleted."""

    COMMAND: ClassVar[str] = "Group.CallbackAfterTopicDestroyed"

    group_id: str | None = None
    """The community group (``GroupId``)."""
    group_type: str | None = None
    """The group's type, ``Community`` (``Type``)."""
    topic_id_list: list[str] = attrs.field(factory=list)
    """The deleted topics (``TopicIdList``; a single string is accepted and wrapped)."""


@attrs.frozen(kw_only=True)
class AfterTopicInfoChanged(WebhookEvent):
    """Sent after a topic's name, introduction, notification or face URL changed. The
    fields that are None were not in the body."""

    COMMAND: ClassVar[str] = "Group.CallbackAfterTopicInfoChanged"

    group_id: str | None = None
    """The community group (``GroupId``)."""
    topic_id: str | None = None
    """The changed topic (``TopicId``). Not documented for this webhook: None unless the
    service sends one (the emulator does)."""
    group_type: str | None = None
    """The group's type, ``Community`` (``Type``)."""
    operator_account: str | None = None
    """The account that made the change (``Operator_Account``)."""
    topic_name: str | None = None
    """The topic's name (``Name``)."""
    introduction: str | None = None
    """The topic's introduction (``Introduction``)."""
    notification: str | None = None
    """The topic's notification (``Notification``)."""
    face_url: str | None = None
    """URL of the topic's profile photo (``FaceUrl``)."""


@attrs.frozen(kw_only=True)
class UnknownWebhook(WebhookEvent):
    """A webhook whose ``CallbackCommand`` this library does not know: kept as sent."""

    command: str
    """The ``CallbackCommand``."""
    body: Mapping[str, Any] = attrs.field(factory=dict)
    """The decoded JSON body, untouched."""


#: The known events by ``CallbackCommand``.
EVENT_TYPES: Final[Mapping[str, type[WebhookEvent]]] = {
    cls.COMMAND: cls
    for cls in (BeforeCreateTopic, AfterCreateTopic, AfterTopicDestroyed, AfterTopicInfoChanged)
}

#: Query names of the context fields.
CONTEXT_NAMES: Final[Mapping[str, str]] = {
    "sdkappid": "SdkAppid",
    "client_ip": "ClientIP",
    "opt_platform": "OptPlatform",
    "request_time": "RequestTime",
}

register_wire_names(
    WebhookEvent,
    {
        **CONTEXT_NAMES,
        "topic_name": "Name",
        "operator_account": "Operator_Account",
        "owner_account": "Owner_Account",
        "user_defined_data": "UserDefinedDataList",
    },
)
register_wire_names(UserDefinedData, {"key": "Key", "value": "Value"})
