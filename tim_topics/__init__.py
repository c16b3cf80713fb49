"""tim_topics: an asyncio client for the community-topic REST API of Tencent Cloud Chat.

Importing it loads the client side only: the emulator (a server) and the webhook router
(``aiohttp.web``) are exported too, but loaded on first use.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from .adaptive import AimdRate
from .bulk.outcome import ImportOutcome
from .client import TopicClient
from .endpoints import COMMANDS, DEFAULT_SERVICES, REGION_DOMAINS, Command
from .errors import (
    AlreadyExistsError,
    ApiError,
    AuthError,
    ClientClosedError,
    DecodeError,
    FeatureNotEnabledError,
    InvalidRequestError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitedError,
    SecurityCheckError,
    ServerError,
    TimTopicsError,
    TransportError,
    UndecodedOutcomeError,
    ValidationError,
    WebhookRejectedError,
    WrongEventLoopError,
)
from .gc_tuning import tune_gc
from .limiter import Limiter, LocalLimiter
from .metrics import ClientMetrics
from .models import (
    DestroyResult,
    SelfInfo,
    SourcedTopicRecord,
    Topic,
    TopicRecord,
    TopicResult,
)
from .redis_limiter import LimiterUnavailableError, RedisLimiter
from .retry import RetryPolicy
from .webhooks import (
    AfterCreateTopic,
    AfterTopicDestroyed,
    AfterTopicInfoChanged,
    Allow,
    BeforeCreateTopic,
    Refuse,
    UnknownWebhook,
    UserDefinedData,
    WebhookAuthError,
    WebhookEvent,
    WebhookParseError,
    WebhookVerifier,
    parse_webhook,
    webhook_sign,
)

if TYPE_CHECKING:
    from .emulator import CommandStats, Emulator, EmulatorStats
    from .webhooks.router import WebhookRouter

__version__ = "0.1.0"

#: Names exported here whose modules are loaded only when the name is first used.
_LAZY: dict[str, str] = {
    "CommandStats": "tim_topics.emulator",
    "Emulator": "tim_topics.emulator",
    "EmulatorStats": "tim_topics.emulator",
    "WebhookRouter": "tim_topics.webhooks.router",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


# A library logs, the app decides where to: without its own configuration nothing of
# tim_topics reaches stderr (Python's last-resort handler is never used).
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "COMMANDS",
    "DEFAULT_SERVICES",
    "REGION_DOMAINS",
    "AfterCreateTopic",
    "AfterTopicDestroyed",
    "AfterTopicInfoChanged",
    "AimdRate",
    "Allow",
    "AlreadyExistsError",
    "ApiError",
    "AuthError",
    "BeforeCreateTopic",
    "ClientClosedError",
    "ClientMetrics",
    "Command",
    "CommandStats",
    "DecodeError",
    "DestroyResult",
    "Emulator",
    "EmulatorStats",
    "FeatureNotEnabledError",
    "ImportOutcome",
    "InvalidRequestError",
    "Limiter",
    "LimiterUnavailableError",
    "LocalLimiter",
    "NotFoundError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitedError",
    "RedisLimiter",
    "Refuse",
    "RetryPolicy",
    "SecurityCheckError",
    "SelfInfo",
    "ServerError",
    "SourcedTopicRecord",
    "TimTopicsError",
    "Topic",
    "TopicClient",
    "TopicRecord",
    "TopicResult",
    "TransportError",
    "UndecodedOutcomeError",
    "UnknownWebhook",
    "UserDefinedData",
    "ValidationError",
    "WebhookAuthError",
    "WebhookEvent",
    "WebhookParseError",
    "WebhookRejectedError",
    "WebhookRouter",
    "WebhookVerifier",
    "WrongEventLoopError",
    "__version__",
    "parse_webhook",
    "tune_gc",
    "webhook_sign",
]
