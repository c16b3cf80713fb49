"""The mishaps of a migration (issue 11) through ``tim-topics import``, each reproduced against
the emulator and shown gone; every suggestion the command prints is followed literally and
must not make a duplicate."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from cli_helpers import APP, GROUP, EmulatorThread, body, run_cli, write_jsonl


def without_time(number: int) -> dict[str, object]:
    entry = body(number)
    del entry["CreateTime"]
    return entry


def test_an_unknown_outcome_is_not_a_failure_and_the_next_run_settles_it(
    tmp_path: Path,
) -> None:
    source = write_jsonl(tmp_path / "topics.jsonl", [without_time(n) for n in range(3)])
    failures = tmp_path / "topics.failed.jsonl"
    args = ["import", str(source), "--command", "create"]
    with EmulatorThread(rate_limit=1000) as emu:

        def lose_one_answer(e: object) -> None:
            e.fail_next("create_topic", kind="drop_after")  # type: ignore[attr-defined]
            e.fail_next("get_topic", kind="error", code=10004, times=20)  # type: ignore[attr-defined]

        emu.run(lose_one_answer)
        first = run_cli(args, emu.environment())
        assert first.returncode == 3, first.stdout + first.stderr
        assert "0 failed, 1 unknown" in first.stdout
        assert "not in the failures file" in first.stdout
        assert "Run the same command again (same journal) to settle them" in first.stdout
        assert not failures.exists()  # nothing to "fix and import": that would duplicate
        assert emu.count() == 3

        emu.run(lambda e: e.clear_faults())
        again = run_cli(args, emu.environment())  # the suggestion, followed literally
        assert again.returncode == 0, again.stdout + again.stderr
        assert "3 of 3 records there" in again.stdout
        assert Counter(emu.topic_names()) == Counter(
            (body(n)["GroupId"], f"topic {n}") for n in range(3)
        )


def test_a_reused_custom_id_is_a_failure_naming_the_fields(tmp_path: Path) -> None:
    topic_id = f"{GROUP}@TOPIC#_reused"
    entries = [
        {"GroupId": GROUP, "TopicId": topic_id, "TopicName": "first"},
        {"GroupId": GROUP, "TopicId": topic_id, "TopicName": "second"},
    ]
    source = write_jsonl(tmp_path / "topics.jsonl", entries)
    with EmulatorThread(rate_limit=1000) as emu:
        result = run_cli(["import", str(source), "--concurrency", "1"], emu.environment())
        assert result.returncode == 1, result.stdout + result.stderr
        assert "1 of 2 records there" in result.stdout
        assert "line 2: TopicId " + topic_id + " is already in use by a different topic" in (
            result.stdout
        )
        assert "TopicName ('first' there, 'second' here)" in result.stdout
        failures = tmp_path / "topics.failed.jsonl"
        assert failures.read_bytes() == source.read_bytes().splitlines(keepends=True)[1]
        assert emu.topic_names() == [(GROUP, "first")]


def test_a_test_import_then_a_production_one_each_import_everything(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "topics.jsonl", [body(n) for n in range(20)])
    with EmulatorThread(rate_limit=1000) as test_app, EmulatorThread(rate_limit=1000) as prod:
        first = run_cli(["import", str(source)], test_app.environment())
        assert first.returncode == 0, first.stdout + first.stderr
        second = run_cli(["import", str(source)], prod.environment())  # the default journal
        assert second.returncode == 0, second.stdout + second.stderr
        assert "already done by earlier runs" not in second.stdout
        assert "20 of 20 records there" in second.stdout
        assert prod.count() == 20 and test_app.count() == 20
        assert len(list(tmp_path.glob("topics.jsonl.*.journal"))) == 2

        shared = tmp_path / "shared.journal"
        done = run_cli(["import", str(source), "--journal", str(shared)], test_app.environment())
        assert done.returncode == 0, done.stderr
        refused = run_cli(["import", str(source), "--journal", str(shared)], prod.environment())
        assert refused.returncode == 2
        assert f"import into app {APP} at {test_app.url}" in refused.stderr
        assert f"this import goes to app {APP} at {prod.url}" in refused.stderr
        assert prod.count() == 20
