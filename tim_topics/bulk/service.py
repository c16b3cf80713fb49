"""What bulk needs of a client: the :class:`TopicService` protocol.

Bulk drives any object with these members (``TopicClient`` has them all), so it never
imports the client: the client may import bulk (``TopicClient.import_topics``) without a
cycle, and a test can hand bulk a service of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..models import TopicResult
from ..request_builder import TopicRequest


class MadeTopic(Protocol):
    """What a create/import achieved (the client's ``CreateOutcome``)."""

    @property
    def topic_id(self) -> str: ...

    @property
    def made_earlier(self) -> bool:
        """True when a re-sent attempt found the custom ID in use: an earlier attempt
        whose answer was lost made the topic, or it existed before."""
        ...


class RequestCounts(Protocol):
    """The client's counters, as far as bulk reads them."""

    @property
    def requests(self) -> int:
        """HTTP requests sent so far (each took a rate-limit token)."""
        ...


class TopicService(Protocol):
    """The members of a client that the bulk importer and the export use."""

    @property
    def sdkappid(self) -> int: ...

    @property
    def base_url(self) -> str: ...

    @property
    def metrics(self) -> RequestCounts: ...

    def effective_rate(self, command: str) -> float:
        """The rate (calls/s) the limiter lets ``command`` run at now."""
        ...

    async def send_create(self, command: str, request: TopicRequest) -> MadeTopic:
        """Send a checked create/import request, with the client's safe retries."""
        ...

    async def get_topic(
        self,
        group_id: str,
        *,
        topic_ids: Sequence[str] | None = None,
        response_filter: Sequence[str] | None = None,
    ) -> list[TopicResult]:
        """The group's topics (all of them when ``topic_ids`` is None)."""
        ...
