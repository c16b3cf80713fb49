"""What the bulk importer reports for each record."""

from __future__ import annotations

from typing import Final, Literal

import attrs

from ..models import TopicRecord

Status = Literal["imported", "exists", "failed"]
STATUSES: Final[tuple[Status, ...]] = ("imported", "exists", "failed")


@attrs.frozen(kw_only=True)
class ImportOutcome:
    """The fate of one input record: exactly one per record."""

    index: int
    """Position of the record in the input, from 0."""
    record: TopicRecord
    """The record, as given."""
    status: Status
    """``imported`` (the topic was made), ``exists`` (its custom topic ID was already in
    use) or ``failed``."""
    topic_id: str | None = None
    """The topic's ID when imported or exists; None when failed."""
    error: BaseException | None = None
    """Why it failed (a :class:`~tim_topics.errors.ValidationError`, an
    :class:`~tim_topics.errors.ApiError`, an :class:`~tim_topics.errors.OutcomeUnknownError`,
    ...); None otherwise."""
    line: int | None = None
    """The input line the record came from, when it was read from a file."""
    earlier: bool = False
    """True when an earlier run with the same journal settled this record (it was not sent
    again)."""

    @property
    def ok(self) -> bool:
        """True when the topic is there: imported or exists."""
        return self.status != "failed"
