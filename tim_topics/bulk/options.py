"""How the bulk engine runs: :class:`ImportOptions`, checked before any record is read."""

from __future__ import annotations

import os
from typing import Final

import attrs

from ..endpoints import SERVICE_TIMEOUT
from ..errors import ValidationError
from .journal import Journal
from .outage import DEFAULT_OUTAGE_LIMIT
from .record_checks import BulkCommand, check_command
from .settle import DEFAULT_CLOCK_SKEW

#: The default ``concurrency``: no cap, the records in flight follow the latency.
DEFAULT_CONCURRENCY: Final = None
#: Sends of one record without a topic ID, each of which lost its answer and was found to
#: have made nothing, before the record is given up.
DEFAULT_MAX_SENDS: Final = 3

JournalLike = Journal | str | os.PathLike[str] | None


@attrs.frozen(kw_only=True)
class ImportOptions:
    """How the engine runs (see :func:`import_topics`)."""

    command: BulkCommand = "import"
    concurrency: int | None = DEFAULT_CONCURRENCY
    """The most records in flight; None (the default) lets them follow the latency."""
    settle_wait: float = SERVICE_TIMEOUT
    clock_skew: float = DEFAULT_CLOCK_SKEW
    max_sends: int = DEFAULT_MAX_SENDS
    outage_limit: float = DEFAULT_OUTAGE_LIMIT
    """Seconds an outage (endpoint unreachable, shared limiter down) is waited out before
    the import stops with :class:`~tim_topics.bulk.outage.OutageError`."""
    retry_failed: bool = True
    """Whether records an earlier run marked failed are sent again (False when they were
    handed to the user in a failures file: sending them from both could make them twice)."""

    def __attrs_post_init__(self) -> None:
        check_command(self.command)
        if self.concurrency is None:
            pass
        elif isinstance(self.concurrency, bool) or not isinstance(self.concurrency, int):
            raise ValidationError("concurrency", "concurrency must be an int or None")
        elif not 1 <= self.concurrency <= 10_000:
            raise ValidationError(
                "concurrency", f"concurrency is {self.concurrency}, it must be 1 to 10000"
            )
        for name in ("settle_wait", "clock_skew", "outage_limit"):
            if getattr(self, name) < 0:
                raise ValidationError(name, f"{name} must not be negative")
        if self.max_sends < 1:
            raise ValidationError("max_sends", f"max_sends is {self.max_sends}, the minimum is 1")
