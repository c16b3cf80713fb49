"""Bulk import of topics: the streaming engine, its journal, and the input readers.

Most callers use ``TopicClient.import_topics`` (or the ``tim-topics import`` command);
the pieces are public for tools that need more control.
"""

from __future__ import annotations

from .conflicts import TopicIdConflictError
from .engine import import_items, import_topics
from .journal import (
    Journal,
    JournalBusyError,
    JournalDestinationError,
    JournalError,
    JournalMismatchError,
)
from .options import ImportOptions
from .outage import OutageError
from .outcome import ImportOutcome, Status
from .pacing import ImportGauges
from .record_checks import BulkCommand
from .source import SourceItem

__all__ = [
    "BulkCommand",
    "ImportGauges",
    "ImportOptions",
    "ImportOutcome",
    "Journal",
    "JournalBusyError",
    "JournalDestinationError",
    "JournalError",
    "JournalMismatchError",
    "OutageError",
    "SourceItem",
    "Status",
    "TopicIdConflictError",
    "import_items",
    "import_topics",
]
