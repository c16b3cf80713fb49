"""What the bulk importer reports for each record."""

from __future__ import annotations

from typing import Literal

import attrs

from ..models import TopicRecord

Status = Literal["imported", "exists", "failed", "unknown"]


@attrs.frozen(kw_only=True)
class ImportOutcome:
    """The fate of one input record: exactly one per record."""

    index: int
    """Position of the record in the input, from 0."""
    record: TopicRecord
    """The record, as given."""
    status: Status
    """``imported`` (the topic was made), ``exists`` (its custom topic ID was already in
    use), ``failed`` (certainly not made: refused by the service, or bad input) or
    ``unknown`` (sent, no answer, and settling could not tell whether it was made: the
    next run with the same journal settles it; never re-import such a record from a file,
    that could make it twice)."""
    topic_id: str | None = None
    """The topic's ID when imported or exists; None otherwise."""
    error: BaseException | None = None
    """Why it failed or is unknown (a :class:`~tim_topics.errors.ValidationError`, an
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
        return self.status in ("imported", "exists")
