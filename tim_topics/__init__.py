"""tim_topics: an asyncio client for the community-topic REST API of Tencent Cloud Chat."""

from __future__ import annotations

from .adaptive import AimdRate
from .bulk.outcome import ImportOutcome
from .client import TopicClient
from .emulator import CommandStats, Emulator, EmulatorStats
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
    ValidationError,
    WebhookRejectedError,
)
from .limiter import Limiter, LocalLimiter
from .models import DestroyResult, SelfInfo, Topic, TopicRecord, TopicResult
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
    WebhookRouter,
    WebhookVerifier,
    parse_webhook,
    webhook_sign,
)

__version__ = "0.1.0"

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
    "TimTopicsError",
    "Topic",
    "TopicClient",
    "TopicRecord",
    "TopicResult",
    "TransportError",
    "UnknownWebhook",
    "UserDefinedData",
    "ValidationError",
    "WebhookAuthError",
    "WebhookEvent",
    "WebhookParseError",
    "WebhookRejectedError",
    "WebhookRouter",
    "WebhookVerifier",
    "__version__",
    "parse_webhook",
    "webhook_sign",
]
