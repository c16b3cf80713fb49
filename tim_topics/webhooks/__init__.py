"""Topic webhooks: the calls the service makes to the app when topics change.

- :class:`WebhookRouter` receives them in an aiohttp app (``router.handle``) or any other
  framework (``await router.dispatch(query, body)``), with :class:`Allow` / :class:`Refuse`
  answers for :class:`BeforeCreateTopic`.
- :func:`parse_webhook` and :class:`WebhookVerifier` are the framework-free parts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from .signing import DEFAULT_MAX_SKEW, WebhookVerifier, webhook_sign
from .verdicts import Allow, Refuse, Verdict, answer_body

if TYPE_CHECKING:
    from .router import WebhookRouter


def __getattr__(name: str) -> Any:
    # The router is the server side (it imports aiohttp.web): loaded on first use only.
    if name == "WebhookRouter":
        from .router import WebhookRouter

        return WebhookRouter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
