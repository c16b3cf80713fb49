"""The mishaps of a migration (issue 11) through ``tim-topics import``, each reproduced against
the emulator and shown gone; every suggestion the command prints is followed literally and
must not make a duplicate."""

from __future__ import annotations

import json
import socket
from collections import Counter
from pathlib import Path

from support.cli import EmulatorThread, body, run_cli, write_jsonl
from support.constants import GROUP, SDKAPPID


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
        assert "Give this record another TopicId (or none)" in result.stdout
        fixed = json.loads(failures.read_bytes())
        fixed["TopicId"] = f"{GROUP}@TOPIC#_second"  # the advice, followed
        write_jsonl(failures, [fixed])
        again = run_cli(["import", str(failures)], emu.environment())
        assert again.returncode == 0, again.stdout + again.stderr
        assert sorted(emu.topic_names()) == [(GROUP, "first"), (GROUP, "second")]


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
        assert f"import into app {SDKAPPID} at {test_app.url}" in refused.stderr
        assert f"this import goes to app {SDKAPPID} at {prod.url}" in refused.stderr
        assert prod.count() == 20
        assert "leave out --journal" in refused.stderr
        followed = run_cli(["import", str(source)], prod.environment())  # the advice
        assert followed.returncode == 0, followed.stdout + followed.stderr
        assert "20 already done by earlier runs" in followed.stdout
        assert prod.count() == 20


# -- 5. every printed suggestion is safe when followed literally -------------------------------


def test_the_changed_file_advice_followed_literally_makes_no_duplicate(tmp_path: Path) -> None:
    original = [without_time(n) for n in range(3)]
    source = write_jsonl(tmp_path / "topics.jsonl", original)
    args = ["import", str(source), "--command", "create"]
    with EmulatorThread(rate_limit=1000) as emu:
        assert run_cli(args, emu.environment()).returncode == 0
        write_jsonl(source, [*original, without_time(3), without_time(4)])  # edited in place
        refused = run_cli(args, emu.environment())
        assert refused.returncode == 2
        advice = "run the same command, with the same options, on the file as it was"
        assert advice in refused.stderr
        assert "Do not delete this journal" in refused.stderr
        assert emu.count() == 3

        write_jsonl(source, original)  # "the file as it was"
        again = run_cli(args, emu.environment())
        assert again.returncode == 0, again.stdout + again.stderr
        assert "3 already done by earlier runs" in again.stdout
        new = write_jsonl(tmp_path / "new.jsonl", [without_time(3), without_time(4)])
        last = run_cli(["import", str(new), "--command", "create"], emu.environment())
        assert last.returncode == 0, last.stdout + last.stderr
        names = Counter(emu.topic_names())
        assert len(names) == 5 and max(names.values()) == 1


def test_the_failures_file_advice_then_a_rerun_makes_no_duplicate(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "topics.jsonl", [without_time(n) for n in range(3)])
    failures = tmp_path / "topics.failed.jsonl"
    args = ["import", str(source), "--command", "create", "--concurrency", "1"]
    with EmulatorThread(rate_limit=1000) as emu:
        emu.run(lambda e: e.fail_next("create_topic", kind="error", code=10015))
        first = run_cli(args, emu.environment())
        assert first.returncode == 1, first.stdout + first.stderr
        assert "fix them and import that file" in first.stdout
        assert len(failures.read_bytes().splitlines()) == 1
        assert emu.count() == 2

        fixed = run_cli(["import", str(failures), "--command", "create"], emu.environment())
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        assert emu.count() == 3
        rerun = run_cli(args, emu.environment())  # e.g. to settle something else
        assert "1 failed in earlier runs" in rerun.stdout
        assert emu.count() == 3
        names = Counter(emu.topic_names())
        assert max(names.values()) == 1


# -- 6. outages pause, not fail ---------------------------------------------------------------


def test_an_unreachable_endpoint_stops_cleanly_and_the_same_command_finishes(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    source = write_jsonl(tmp_path / "topics.jsonl", [without_time(n) for n in range(5)])
    args = ["import", str(source), "--command", "create", "--outage-limit", "1"]
    with EmulatorThread(rate_limit=1000, port=port) as emu:
        env = emu.environment()
    down = run_cli(args, env)  # the same URL, nothing listening now
    assert down.returncode == 4, down.stdout + down.stderr
    assert "nothing was marked failed" in down.stdout
    assert "Run the same command again once it is reachable" in down.stdout
    assert "cannot reach the service" in down.stderr
    assert not (tmp_path / "topics.failed.jsonl").exists()
    with EmulatorThread(rate_limit=1000, port=port) as emu:
        again = run_cli(args, env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "5 of 5 records there" in again.stdout
        assert Counter(emu.topic_names()) == Counter(
            (body(n)["GroupId"], f"topic {n}") for n in range(5)
        )
