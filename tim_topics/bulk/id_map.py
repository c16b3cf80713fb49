"""The ID map of an import: ``source ID<TAB>new ID``, one line per record that carries a
``SourceTopicId`` (an exported topic), so what referred to the old IDs can be re-pointed.

The map is written afresh by each run, from the outcomes it reports (those an earlier run
settled included), to a temporary file renamed over ``path`` when the run ends: it is
complete when the import is. Topic IDs are printable ASCII, so a tab cannot be in one.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from types import TracebackType
from typing import IO, Final

from ..models import SourcedTopicRecord
from .outcome import ImportOutcome

logger = logging.getLogger("tim_topics.bulk")

SEPARATOR: Final = "\t"
#: Outcomes whose topic is there, under ``outcome.topic_id``.
THERE: Final = frozenset({"imported", "exists"})


class IdMapWriter:
    """Writes ``source ID -> new ID`` for each outcome given to :meth:`add`, to ``path``
    when it closes (also as a context manager). With ``path`` None it writes nothing, so
    callers need no test of their own."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = None if path is None else Path(path)
        self.written = 0
        self._temporary: Path | None = None
        self._handle: IO[str] | None = None
        if self.path is not None:
            self._temporary = self.path.with_name(self.path.name + ".tmp")
            self._handle = self._temporary.open("w", encoding="ascii", newline="\n")

    def __enter__(self) -> IdMapWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def add(self, outcome: ImportOutcome) -> bool:
        """Note ``outcome`` if its record has a source ID and its topic is there; True when
        a line was written."""
        record = outcome.record
        if not isinstance(record, SourcedTopicRecord):
            return False
        if outcome.status not in THERE:
            return False
        if outcome.topic_id is None or self._handle is None:
            return False
        self._handle.write(f"{record.source_topic_id}{SEPARATOR}{outcome.topic_id}\n")
        self.written += 1
        return True

    def close(self) -> None:
        """Flush and put the map in place (what is known so far, after an interruption)."""
        if self._handle is None or self._temporary is None or self.path is None:
            return
        handle, self._handle = self._handle, None
        handle.close()
        os.replace(self._temporary, self.path)
        logger.info("ID map: %d source IDs written to %s", self.written, self.path)


def read_id_map(path: str | os.PathLike[str]) -> dict[str, str]:
    """The map a run wrote: source topic ID -> new topic ID."""
    mapping: dict[str, str] = {}
    with Path(path).open(encoding="ascii") as handle:
        for line in handle:
            source, _, new = line.rstrip("\n").partition(SEPARATOR)
            if source and new:
                mapping[source] = new
    return mapping
