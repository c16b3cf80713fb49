"""A local, stateful server of the community-topic REST API, for tests and benchmarks.

Like moto for AWS: the domain rules live in a pure in-memory backend (:mod:`.backend`),
the HTTP handling in a thin aiohttp layer (:mod:`.server`), faults in a seeded plan
(:mod:`.faults`), and the rate limit in an exact sliding window (:mod:`.window`).
"""

from __future__ import annotations

from .app import Emulator
from .auth import UserSigError, UserSigVerifier
from .backend import Outcome, TopicBackend
from .faults import Fault, FaultKind, FaultRates
from .hooks import NoWebhooks, TopicEventSink
from .stats import CommandStats, EmulatorStats
from .window import SlidingWindow

__all__ = [
    "CommandStats",
    "Emulator",
    "EmulatorStats",
    "Fault",
    "FaultKind",
    "FaultRates",
    "NoWebhooks",
    "Outcome",
    "SlidingWindow",
    "TopicBackend",
    "TopicEventSink",
    "UserSigError",
    "UserSigVerifier",
]
