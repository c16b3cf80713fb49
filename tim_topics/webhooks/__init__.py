"""Topic webhooks: the calls the service makes to the app when topics change.

- :class:`WebhookRouter` receives them in an aiohttp app (``router.handle``) or any other
  framework (``await router.dispatch(query, body)``), with :class:`Allow` / :class:`Refuse`
  answers for :class:`BeforeCreateTopic`.
- :func:`parse_webhook` and :class:`WebhookVerifier` are the framework-free parts.
"""

from __future__ import annotations

from .errors import WebhookAuthError, WebhookParseError
from .events import (
    EVENT_TYPES,
    AfterCreateTopic,
    AfterTopicDestroyed,
    AfterTopicInfoChanged,
    BeforeCreateTopic,
    UnknownWebhook,
    UserDefinedData,
    WebhookEvent,
)
from .parsing import parse_webhook
from .router import Allow, Refuse, Verdict, WebhookRouter, answer_body
from .signing import DEFAULT_MAX_SKEW, WebhookVerifier, webhook_sign

__all__ = [
    "DEFAULT_MAX_SKEW",
    "EVENT_TYPES",
    "AfterCreateTopic",
    "AfterTopicDestroyed",
    "AfterTopicInfoChanged",
    "Allow",
    "BeforeCreateTopic",
    "Refuse",
    "UnknownWebhook",
    "UserDefinedData",
    "Verdict",
    "WebhookAuthError",
    "WebhookEvent",
    "WebhookParseError",
    "WebhookRouter",
    "WebhookVerifier",
    "answer_body",
    "parse_webhook",
    "webhook_sign",
]
