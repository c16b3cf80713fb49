"""The import journal: one SQLite row per input record, so an import can resume after a
crash without losing or repeating anything.

Row states:

- ``pending``: written, and committed, before the record's request leaves. A pending row
  found when a run starts belongs to a run that died mid-request: the topic may or may not
  have been made, so it is settled (see :mod:`tim_topics.bulk.settle`) before any re-send.
- ``imported`` / ``exists``: done, with the topic ID.
- ``failed``: certainly not made (refused by the service, or never sent): tried again by
  the next run.
- ``unknown``: sent, no answer, and settling could not decide: settled by the next run.

Durability: WAL mode with ``synchronous=NORMAL``. A commit survives the process being
killed (``kill -9``), since the data is in the operating system's hands; only a power loss
could lose the last commits. Commits are shared (group commit): every row written during
one turn of the event loop is committed by one ``COMMIT``, so the rows of all workers that
are about to send cost one commit, and a million records stay fast.

The journal is opened in SQLite's exclusive locking mode: a second process cannot use it
while the first runs. Memory stays flat: the journal is looked up, never loaded.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Final, Literal

import attrs

from ..errors import TimTopicsError

RowState = Literal["pending", "imported", "exists", "failed", "unknown"]
ROW_STATES: Final[tuple[RowState, ...]] = ("pending", "imported", "exists", "failed", "unknown")
DONE_STATES: Final = frozenset({"imported", "exists"})
UNSETTLED_STATES: Final = frozenset({"pending", "unknown"})

JOURNAL_FORMAT: Final = "tim-topics-journal/1"

#: Seconds after which rows marked done are committed when nothing else commits them.
LAZY_COMMIT_DELAY: Final = 0.25

_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS records (
        idx INTEGER PRIMARY KEY,
        state TEXT NOT NULL,
        digest INTEGER NOT NULL,
        topic_id TEXT,
        noted_at REAL,
        line INTEGER,
        reason TEXT,
        raw BLOB
    )""",
    "CREATE INDEX IF NOT EXISTS records_by_topic ON records (topic_id) WHERE topic_id IS NOT NULL",
)


class JournalError(TimTopicsError):
    """The journal cannot be opened, read or written; the import stops."""


class JournalBusyError(JournalError):
    """Another process is using the journal."""


class JournalMismatchError(JournalError):
    """The journal was written for another input (or another command)."""


class JournalDestinationError(JournalMismatchError):
    """The journal was written for an import into another app or endpoint."""


def digest(data: bytes) -> int:
    """A 64-bit fingerprint of a record, to notice an input that changed between runs."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big", signed=True)


@attrs.frozen(kw_only=True)
class JournalRow:
    """One record's row."""

    index: int
    state: RowState
    digest: int
    topic_id: str | None
    noted_at: float | None
    """Wall-clock time (Unix seconds) when the record was last noted before a send."""
    line: int | None
    reason: str | None


@attrs.frozen(kw_only=True)
class FailedRow:
    """A record that ended failed or unknown, with its input line as it was."""

    index: int
    state: RowState
    line: int | None
    raw: bytes | None
    reason: str | None


class Journal:
    """The rows of one import. Use :meth:`open` (a file, resumable) or :meth:`temporary`
    (a file in a temporary folder removed on :meth:`close`).

    All methods are called from the event loop's thread; SQLite calls take microseconds
    in WAL mode, so they are made directly rather than in a worker thread.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path, *, scratch: Path | None):
        self._db = connection
        self.path = path
        self._scratch = scratch
        self._commit_future: asyncio.Future[None] | None = None
        self._lazy_commit: asyncio.TimerHandle | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    # -- opening and closing ---------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Journal:
        """Open (or create) the journal at ``path``. JournalBusyError when another process
        has it open, JournalError when it is not a journal."""
        return cls._connect(Path(path), scratch=None)

    @classmethod
    def temporary(cls) -> Journal:
        """A journal in a new temporary folder, removed on :meth:`close`."""
        scratch = Path(tempfile.mkdtemp(prefix="tim-topics-journal-"))
        try:
            return cls._connect(scratch / "journal.sqlite", scratch=scratch)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise

    @classmethod
    def _connect(cls, path: Path, *, scratch: Path | None) -> Journal:
        try:
            db = sqlite3.connect(path, timeout=0.2)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the journal {str(path)!r}: {exc}") from None
        try:
            # Exclusive mode before WAL: no shared-memory index, and no second process.
            db.execute("PRAGMA locking_mode = EXCLUSIVE")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            for statement in _SCHEMA:
                db.execute(statement)
            stored = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            if stored is None:
                db.execute("INSERT INTO meta VALUES ('format', ?)", (JOURNAL_FORMAT,))
            elif stored[0] != JOURNAL_FORMAT:
                raise JournalError(
                    f"{str(path)!r} is a journal of format {stored[0]!r}; this version "
                    f"reads {JOURNAL_FORMAT!r}"
                )
            db.commit()
        except sqlite3.OperationalError as exc:
            db.close()
            if "locked" in str(exc):
                raise JournalBusyError(
                    f"the journal {str(path)!r} is in use by another process (another "
                    "import running with the same journal?)"
                ) from None
            raise JournalError(f"cannot use the journal {str(path)!r}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            db.close()
            raise JournalError(
                f"{str(path)!r} is not a tim-topics journal (SQLite says: {exc})"
            ) from None
        except BaseException:
            db.close()
            raise
        return cls(db, path, scratch=scratch)

    def close(self) -> None:
        """Commit what is written and close (a temporary journal is removed)."""
        if self._closed:
            return
        self._closed = True
        if self._lazy_commit is not None:
            self._lazy_commit.cancel()
            self._lazy_commit = None
        try:
            self._db.commit()
        except sqlite3.Error as exc:
            raise JournalError(f"cannot write the journal {str(self.path)!r}: {exc}") from None
        finally:
            self._db.close()
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- metadata --------------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        """The journal's metadata (what input and options it was written for)."""
        rows = self._query("SELECT key, value FROM meta").fetchall()
        return {str(key): str(value) for key, value in rows}

    def set_meta(self, values: Mapping[str, str]) -> None:
        self._write(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", *values.items(), many=True
        )
        self.commit()

    def claim_destination(self, sdkappid: int, endpoint: str) -> None:
        """Tie the journal to the app and endpoint an import goes to (on first use), or
        JournalDestinationError when it is tied to another: its records' fates hold there
        only, and taking them for this one would skip records never imported here."""
        stored = self.meta()
        if "sdkappid" not in stored:
            self.set_meta({"sdkappid": str(sdkappid), "endpoint": endpoint})
            return
        if (stored["sdkappid"], stored.get("endpoint")) != (str(sdkappid), endpoint):
            raise JournalDestinationError(
                f"the journal {str(self.path)!r} is of an import into app {stored['sdkappid']} "
                f"at {stored.get('endpoint', '?')}; this import goes to app {sdkappid} at "
                f"{endpoint}. A journal holds for one destination only: use the journal this "
                "destination was imported with, or if it never was, one of its own (tim-topics "
                "import: leave out --journal, the default is one per app and endpoint)"
            )

    # -- rows ------------------------------------------------------------------------------

    def row(self, index: int) -> JournalRow | None:
        """The row of record ``index``, or None when it was never noted."""
        found = self._query(
            "SELECT state, digest, topic_id, noted_at, line, reason FROM records WHERE idx = ?",
            index,
        ).fetchone()
        if found is None:
            return None
        state, fingerprint, topic_id, noted_at, line, reason = found
        return JournalRow(
            index=index,
            state=state,
            digest=fingerprint,
            topic_id=topic_id,
            noted_at=noted_at,
            line=line,
            reason=reason,
        )

    async def note_pending(
        self, index: int, *, digest: int, noted_at: float, line: int | None = None
    ) -> None:
        """Note that record ``index`` is about to be sent; returns once that is committed."""
        self._write(
            "INSERT OR REPLACE INTO records (idx, state, digest, noted_at, line) "
            "VALUES (?, 'pending', ?, ?, ?)",
            index,
            digest,
            noted_at,
            line,
        )
        await asyncio.shield(self._commit_soon())

    def mark_done(self, index: int, state: Literal["imported", "exists"], topic_id: str) -> None:
        """Record ``index`` is there, with ``topic_id`` (committed shortly)."""
        cursor = self._write(
            "UPDATE records SET state = ?, topic_id = ?, reason = NULL, raw = NULL WHERE idx = ?",
            state,
            topic_id,
            index,
        )
        if cursor.rowcount != 1:
            raise JournalError(f"record {index} was marked {state} but was never noted")
        self._commit_later()

    def mark_failed(
        self,
        index: int,
        *,
        digest: int,
        reason: str,
        unknown: bool = False,
        line: int | None = None,
        raw: bytes | None = None,
    ) -> None:
        """Record ``index`` failed: certainly not made, or (``unknown``) perhaps made.
        ``raw`` is its input line as it was, for the failures file."""
        existing = self.row(index)
        noted_at = existing.noted_at if existing is not None else None
        self._write(
            "INSERT OR REPLACE INTO records (idx, state, digest, noted_at, line, reason, raw) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            index,
            "unknown" if unknown else "failed",
            digest,
            noted_at,
            line,
            reason,
            raw,
        )
        self._commit_later()

    def is_claimed(self, topic_id: str) -> bool:
        """Whether some record is already settled as having made ``topic_id``."""
        found = self._query(
            "SELECT 1 FROM records WHERE topic_id = ? AND state IN ('imported', 'exists') LIMIT 1",
            topic_id,
        ).fetchone()
        return found is not None

    def counts(self) -> dict[RowState, int]:
        """How many rows are in each state."""
        result: dict[RowState, int] = dict.fromkeys(ROW_STATES, 0)
        for state, count in self._query(
            "SELECT state, COUNT(*) FROM records GROUP BY state"
        ).fetchall():
            result[state] = count
        return result

    def failures(
        self, *, limit: int | None = None, state: Literal["failed", "unknown"] = "failed"
    ) -> Iterator[FailedRow]:
        """Rows that ended ``failed`` (certainly not made: the failures file's), or with
        ``state="unknown"`` those whose outcome is unknown (settled by the next run, and
        never to be imported again from a file), in input order."""
        if state not in ("failed", "unknown"):
            raise ValueError(f"state must be 'failed' or 'unknown', not {state!r}")
        sql = (
            "SELECT idx, state, line, raw, reason FROM records "
            f"WHERE state = '{state}' ORDER BY idx"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        for index, state, line, raw, reason in self._query(sql):
            yield FailedRow(index=index, state=state, line=line, raw=raw, reason=reason)

    # -- commits ---------------------------------------------------------------------------

    def commit(self) -> None:
        """Commit now."""
        if self._lazy_commit is not None:
            self._lazy_commit.cancel()
            self._lazy_commit = None
        try:
            self._db.commit()
        except sqlite3.Error as exc:
            raise JournalError(f"cannot write the journal {str(self.path)!r}: {exc}") from None

    def _commit_soon(self) -> asyncio.Future[None]:
        """A future done once everything written so far is committed: one commit at the
        end of this turn of the event loop covers every row written during it."""
        if self._commit_future is None:
            loop = asyncio.get_running_loop()
            self._commit_future = loop.create_future()
            loop.call_soon(self._commit_shared)
        return self._commit_future

    def _commit_shared(self) -> None:
        future, self._commit_future = self._commit_future, None
        if future is None or future.done():
            return
        try:
            self.commit()
        except JournalError as exc:
            future.set_exception(exc)
        else:
            future.set_result(None)

    def _commit_later(self) -> None:
        if self._lazy_commit is not None or self._commit_future is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # outside a loop: committed by the next commit() or close()
        self._lazy_commit = loop.call_later(LAZY_COMMIT_DELAY, self._commit_lazily)

    def _commit_lazily(self) -> None:
        self._lazy_commit = None
        if not self._closed:
            try:
                self.commit()
            except JournalError:
                pass  # raised again by the next commit that someone waits for

    # -- SQLite ----------------------------------------------------------------------------

    def _write(self, sql: str, *params: object, many: bool = False) -> sqlite3.Cursor:
        try:
            if many:
                return self._db.executemany(sql, params)  # type: ignore[arg-type]
            return self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot write the journal {str(self.path)!r}: {exc}") from None

    def _query(self, sql: str, *params: object) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot read the journal {str(self.path)!r}: {exc}") from None
