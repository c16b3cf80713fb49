"""tim_topics: an asyncio client for the community-topic REST API of Tencent Cloud Chat."""

from __future__ import annotations

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
    ValidationError,
    WebhookRejectedError,
)
from .limiter import Limiter, LocalLimiter
from .models import DestroyResult, SelfInfo, Topic, TopicRecord, TopicResult
from .redis_limiter import LimiterUnavailableError, RedisLimiter
from .retry import RetryPolicy

__version__ = "0.1.0"

__all__ = [
    "COMMANDS",
    "DEFAULT_SERVICES",
    "REGION_DOMAINS",
    "AlreadyExistsError",
    "ApiError",
    "AuthError",
    "ClientClosedError",
    "Command",
    "DecodeError",
    "DestroyResult",
    "FeatureNotEnabledError",
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
    "ValidationError",
    "WebhookRejectedError",
    "__version__",
]
