"""``tim-topics import`` as users run it: a subprocess against an emulator. Bad lines are
reported with their line numbers, failures are written once, a run killed with SIGKILL (or
stopped with Ctrl-C) and resumed ends with exactly the input set."""

from __future__ import annotations

import random
import signal
import subprocess
from collections import Counter
from pathlib import Path

from support.cli import EmulatorThread, body, run_cli, start_cli, wait_until, write_jsonl
from support.constants import GROUP


def expected_names(count: int, skip: set[int] = frozenset()) -> Counter[tuple[str, str]]:  # type: ignore[assignment]
    return Counter(
        (body(n)["GroupId"], body(n)["TopicName"]) for n in range(count) if n not in skip
    )


def test_bad_lines_are_reported_and_failures_written_once(tmp_path: Path) -> None:
    bad_name = body(69)
    bad_name["TopicName"] = "x" * 31
    entries: list[dict[str, object] | bytes] = [body(n, custom=n % 3 == 0) for n in range(80)]
    entries[4] = b'{"GroupId": "broken\n'  # line 5
    entries[69] = bad_name  # line 70
    source = write_jsonl(tmp_path / "topics.jsonl", entries)
    failures = tmp_path / "failed.jsonl"
    with EmulatorThread(rate_limit=1000) as emu:
        args = ["import", str(source), "--rate-limit", "1000", "--failures", str(failures)]
        first = run_cli(args, emu.environment())
        assert first.returncode == 1, first.stderr
        for text in (first.stdout, first.stderr):
            assert "line 70: TopicName is 31 bytes, the limit is 30" in text
            assert "line 5: not valid JSON" in text
        assert "78 of 80 records there" in first.stdout
        raw = source.read_bytes().splitlines(keepends=True)
        assert failures.read_bytes() == raw[4] + raw[69]
        assert Counter(emu.topic_names()) == expected_names(80, skip={4, 69})
        calls = emu.run(lambda e: e.stats.commands["import_topic"].calls)

        again = run_cli(args, emu.environment())
        assert again.returncode == 1, again.stderr
        assert "78 already done by earlier runs" in again.stdout
        assert failures.read_bytes() == raw[4] + raw[69]  # not lost, not repeated
        assert emu.run(lambda e: e.stats.commands["import_topic"].calls) == calls

        fixed = write_jsonl(tmp_path / "fixed.jsonl", [body(4), body(69)])
        last = run_cli(["import", str(fixed), "--rate-limit", "1000"], emu.environment())
        assert last.returncode == 0, last.stderr
        assert "failures : none" in last.stdout
        assert Counter(emu.topic_names()) == expected_names(80)


def test_a_run_killed_halfway_and_resumed_ends_with_exactly_the_input(tmp_path: Path) -> None:
    count = 450
    rng = random.Random(20240611)
    source = write_jsonl(
        tmp_path / "topics.jsonl", (body(n, custom=n % 3 == 0) for n in range(count))
    )
    with EmulatorThread(rate_limit=300) as emu:
        emu.run(lambda e: e.set_faults(drop_after_rate=0.02, error_rate={10002: 0.02}, seed=7))
        args = ["import", str(source), "--rate-limit", "300", "--concurrency", "32"]
        before = 0
        for _ in range(2):
            threshold = before + rng.randint(60, 140)
            process = start_cli(args, emu.environment(), stdout=subprocess.DEVNULL)
            wait_until(lambda at_least=threshold: emu.count() >= at_least, process)
            process.send_signal(signal.SIGKILL)
            process.wait(30)
            assert process.returncode == -signal.SIGKILL
            assert process.stderr is not None
            process.stderr.close()
            after = emu.count()
            assert before < after < count
            before = after
        final = run_cli(args, emu.environment())
        assert final.returncode == 0, final.stdout + final.stderr
        assert f"{count} of {count} records there" in final.stdout
        assert Counter(emu.topic_names()) == expected_names(count)


def test_ctrl_c_stops_cleanly_and_the_next_run_finishes(tmp_path: Path) -> None:
    count = 300
    source = write_jsonl(tmp_path / "topics.jsonl", (body(n) for n in range(count)))
    with EmulatorThread(rate_limit=200) as emu:
        args = ["import", str(source), "--concurrency", "16"]
        process = start_cli(args, emu.environment())
        wait_until(lambda: emu.count() >= 40, process)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, stderr
        assert "Stopped import_topic" in stdout
        assert "Run the same command again to finish" in stdout
        assert emu.count() < count
        final = run_cli(args, emu.environment())
        assert final.returncode == 0, final.stderr
        assert Counter(emu.topic_names()) == expected_names(count)


def test_a_journal_of_another_input_is_refused(tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [body(1)])
    second = write_jsonl(tmp_path / "b.jsonl", [body(2), body(3)])
    journal = tmp_path / "shared.journal"
    with EmulatorThread(rate_limit=1000) as emu:
        done = run_cli(["import", str(first), "--journal", str(journal)], emu.environment())
        assert done.returncode == 0, done.stderr
        refused = run_cli(["import", str(second), "--journal", str(journal)], emu.environment())
        assert refused.returncode == 2
        assert "belongs to another import" in refused.stderr
        assert emu.count() == 1


def test_csv_input_and_a_csv_failures_file(tmp_path: Path) -> None:
    source = tmp_path / "topics.csv"
    source.write_bytes(
        b"TopicName,CreateTime\nfrom csv,1500000000\nbad time,yesterday\nalso csv,\n"
    )
    with EmulatorThread(rate_limit=1000) as emu:
        result = run_cli(["import", str(source), "--group-id", GROUP], emu.environment())
        assert result.returncode == 1
        assert "line 3: CreateTime must be Unix seconds (digits), not 'yesterday'" in result.stdout
        failures = tmp_path / "topics.failed.csv"
        assert failures.read_bytes() == b"TopicName,CreateTime\nbad time,yesterday\n"
        assert sorted(emu.topic_names()) == [(GROUP, "also csv"), (GROUP, "from csv")]


def test_an_unknown_csv_column_stops_before_anything_is_written(tmp_path: Path) -> None:
    source = tmp_path / "topics.csv"
    source.write_bytes(b"GroupId,Name\n" + GROUP.encode() + b",x\n")
    with EmulatorThread() as emu:
        result = run_cli(["import", str(source)], emu.environment())
    assert result.returncode == 2
    assert "line 1: the CSV header has unknown column 'Name'" in result.stderr
    assert not list(tmp_path.glob("*.journal"))


def test_missing_credentials_are_named(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "topics.jsonl", [body(1)])
    with EmulatorThread() as emu:
        env = emu.environment()
        del env["TIM_SDKAPPID"]
        result = run_cli(["import", str(source)], env)
    assert result.returncode == 2
    assert "TIM_SDKAPPID is not set" in result.stderr
