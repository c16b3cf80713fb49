"""A local, stateful server of the community-topic REST API, for tests and benchmarks.

Like moto for AWS: the API as documented in :mod:`.spec` (the emulator's own copy, not the
client's), the domain rules in a pure in-memory backend with one typed method per command
(:mod:`.backend`), one responses layer that reads bodies and renders answers from a single
command table (:mod:`.responses`), the HTTP handling in a thin aiohttp layer
(:mod:`.server`), faults in a seeded plan (:mod:`.faults`), and the rate limit in an exact
sliding window (:mod:`.window`).
"""

from __future__ import annotations

from .app import Emulator
from .auth import UserSigError, UserSigVerifier
from .backend import TopicBackend
from .errors import ServiceError
from .events import CreatingTopic, TopicCreated, TopicEvent, TopicInfoChanged, TopicsDestroyed
from .faults import Fault, FaultKind, FaultRates
from .hooks import NoWebhooks, TopicEventSink
from .responses import Outcome, TopicResponses
from .stats import CommandStats, EmulatorStats
from .window import SlidingWindow

__all__ = [
    "CommandStats",
    "CreatingTopic",
    "Emulator",
    "EmulatorStats",
    "Fault",
    "FaultKind",
    "FaultRates",
    "NoWebhooks",
    "Outcome",
    "ServiceError",
    "SlidingWindow",
    "TopicBackend",
    "TopicCreated",
    "TopicEvent",
    "TopicEventSink",
    "TopicInfoChanged",
    "TopicResponses",
    "TopicsDestroyed",
    "UserSigError",
    "UserSigVerifier",
]
