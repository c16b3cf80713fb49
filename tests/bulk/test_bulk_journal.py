"""The import journal: states, group commit, durability across kill -9, exclusivity."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tim_topics.bulk.journal import (
    Journal,
    JournalBusyError,
    JournalError,
    digest,
)


@pytest.mark.asyncio
async def test_rows_move_through_their_states(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j") as journal:
        assert journal.row(0) is None
        await journal.note_pending(0, digest=11, noted_at=1000.5, line=3)
        row = journal.row(0)
        assert row is not None
        assert (row.state, row.digest, row.noted_at, row.line) == ("pending", 11, 1000.5, 3)
        journal.mark_done(0, "imported", "G@TOPIC#_@TOPIC#cA")
        row = journal.row(0)
        assert row is not None and (row.state, row.topic_id) == ("imported", "G@TOPIC#_@TOPIC#cA")
        assert journal.is_claimed("G@TOPIC#_@TOPIC#cA")
        assert not journal.is_claimed("G@TOPIC#_@TOPIC#cB")
        await journal.note_pending(1, digest=12, noted_at=1001.0)
        journal.mark_failed(1, digest=12, reason="lost", unknown=True, line=4, raw=b"{}\n")
        row = journal.row(1)
        assert row is not None and (row.state, row.noted_at, row.reason) == (
            "unknown",
            1001.0,
            "lost",
        )
        assert journal.counts()["unknown"] == 1


@pytest.mark.asyncio
async def test_failures_come_in_input_order_with_their_raw_bytes(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j") as journal:
        for index in (5, 1, 3):
            journal.mark_failed(
                index, digest=index, reason=f"r{index}", line=index + 1, raw=b"\xff%d" % index
            )
        await journal.note_pending(2, digest=2, noted_at=0.0)
        rows = list(journal.failures())
        assert [row.index for row in rows] == [1, 3, 5]
        assert rows[0].raw == b"\xff1" and rows[0].line == 2 and rows[0].reason == "r1"
        assert [row.index for row in journal.failures(limit=2)] == [1, 3]
        journal.mark_failed(7, digest=7, reason="lost", unknown=True, raw=b"seven")
        assert [row.index for row in journal.failures()] == [1, 3, 5]
        assert [row.index for row in journal.failures(state="unknown")] == [7]


@pytest.mark.asyncio
async def test_marking_a_row_that_was_never_noted_is_an_error(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j") as journal, pytest.raises(JournalError, match="never noted"):
        journal.mark_done(9, "imported", "x")


@pytest.mark.asyncio
async def test_one_commit_covers_all_rows_noted_in_the_same_turn(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j") as journal:
        commits = 0
        real_commit = journal.commit

        def counting_commit() -> None:
            nonlocal commits
            commits += 1
            real_commit()

        journal.commit = counting_commit  # type: ignore[method-assign]
        await asyncio.gather(
            *(journal.note_pending(index, digest=index, noted_at=0.0) for index in range(50))
        )
        assert commits == 1
        assert journal.counts()["pending"] == 50


KILLED_WRITER = """
import asyncio, os, sys
from tim_topics.bulk.journal import Journal
async def main():
    journal = Journal.open(sys.argv[1])
    await journal.note_pending(7, digest=70, noted_at=1.0)
    print("noted", flush=True)
    os.kill(os.getpid(), 9)
asyncio.run(main())
"""


def test_a_noted_row_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "j"
    result = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(path)], capture_output=True, timeout=60
    )
    assert result.returncode == -9
    assert result.stdout == b"noted\n"
    with Journal.open(path) as journal:
        row = journal.row(7)
        assert row is not None and row.state == "pending"


def test_a_second_user_of_the_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j"
    with Journal.open(path):
        with pytest.raises(JournalBusyError, match="in use by another process"):
            Journal.open(path)
    Journal.open(path).close()  # free again once closed


def test_a_file_that_is_not_a_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "topics.jsonl"
    path.write_bytes(b'{"GroupId": "x"}\n' * 100)
    with pytest.raises(JournalError, match="not a tim-topics journal"):
        Journal.open(path)


@pytest.mark.asyncio
async def test_a_temporary_journal_is_removed_on_close() -> None:
    journal = Journal.temporary()
    folder = journal.path.parent
    await journal.note_pending(0, digest=0, noted_at=0.0)
    journal.close()
    assert not folder.exists()


@pytest.mark.asyncio
async def test_metadata_round_trips(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j") as journal:
        journal.set_meta({"input_size": "10", "command": "import"})
    with Journal.open(tmp_path / "j") as journal:
        meta = journal.meta()
    assert meta["input_size"] == "10" and meta["command"] == "import"
    assert meta["format"] == "tim-topics-journal/1"


def test_digest_is_stable_and_64_bit() -> None:
    assert digest(b"abc") == digest(b"abc")
    assert digest(b"abc") != digest(b"abd")
    assert -(2**63) <= digest(os.urandom(16)) < 2**63
