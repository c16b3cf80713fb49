"""``tim-topics export`` as users run it, and the move it is for: export from one app,
``tim-topics import --id-map`` into another (another sdkappid), export again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support.cli import GROUPS, EmulatorThread, body, run_cli, write_jsonl
from support.constants import GROUP, OTHER_GROUP, SDKAPPID

DEST_APP = SDKAPPID + 7
ASSIGNED_MARK = "@TOPIC#_@TOPIC#"


def source_bodies(count: int) -> list[dict[str, Any]]:
    bodies = []
    for n in range(count):
        entry = body(n, custom=n % 2 == 0)
        entry["Introduction"] = f"intro {n}"
        if n % 3 == 0:
            entry["TopicName"] = f"话题 {n}"
            entry["CustomString"] = json.dumps({"n": n})
        bodies.append(entry)
    return bodies


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()]


def kept(entry: dict[str, Any]) -> tuple[Any, ...]:
    """What a move keeps: all but the source ID (the new app assigns new ones)."""
    return tuple(sorted((k, v) for k, v in entry.items() if k != "SourceTopicId"))


def test_a_move_between_apps_keeps_every_topic_and_maps_every_assigned_id(
    tmp_path: Path,
) -> None:
    source_file = write_jsonl(tmp_path / "source.jsonl", source_bodies(24))
    groups_file = tmp_path / "groups.txt"
    groups_file.write_text(f"# the second community\n\n{OTHER_GROUP}\n", encoding="utf-8")
    exported = tmp_path / "exported.jsonl"
    with (
        EmulatorThread(rate_limit=1000) as source,
        EmulatorThread(rate_limit=1000, sdkappid=DEST_APP) as dest,
    ):
        filled = run_cli(["import", str(source_file)], source.environment())
        assert filled.returncode == 0, filled.stderr

        export = ["export", "--group-id", GROUP, "--groups-file", str(groups_file)]
        first = run_cli([*export, "-o", str(exported)], source.environment())
        assert first.returncode == 0, first.stderr
        assert f"Exported 24 topics of 2 groups to {exported}" in first.stdout
        assert "failures : none" in first.stdout
        before = lines_of(exported)
        assert len(before) == 24
        assigned = [e["SourceTopicId"] for e in before if "SourceTopicId" in e]
        assert len(assigned) == 12 and all(ASSIGNED_MARK in a for a in assigned)
        assert all("TopicId" not in e for e in before if "SourceTopicId" in e)
        assert {e["TopicId"] for e in before if "TopicId" in e} == {
            b["TopicId"] for b in source_bodies(24) if "TopicId" in b
        }

        id_map = tmp_path / "ids.tsv"
        moved = run_cli(["import", str(exported), "--id-map", str(id_map)], dest.environment())
        assert moved.returncode == 0, moved.stderr
        assert "24 of 24 records there" in moved.stdout

        again = tmp_path / "again.jsonl"
        second = run_cli([*export, "-o", str(again)], dest.environment())
        assert second.returncode == 0, second.stderr
        after = lines_of(again)

    assert sorted(map(kept, after)) == sorted(map(kept, before))
    mapping = dict(text.split("\t") for text in id_map.read_text(encoding="ascii").splitlines())
    assert sorted(mapping) == sorted(assigned)
    # each new ID is the topic of the same record in the destination app
    new_by_content = {kept(e): e["SourceTopicId"] for e in after if "SourceTopicId" in e}
    for entry in before:
        if "SourceTopicId" in entry:
            assert mapping[entry["SourceTopicId"]] == new_by_content[kept(entry)]


def test_export_to_stdout_reports_a_group_it_cannot_read(tmp_path: Path) -> None:
    missing = "@TGS#_missing"
    with EmulatorThread() as emu:
        filled = run_cli(
            ["import", str(write_jsonl(tmp_path / "s.jsonl", source_bodies(4)))],
            emu.environment(),
        )
        assert filled.returncode == 0, filled.stderr
        result = run_cli(
            ["export", "--group-id", GROUP, "--group-id", missing, "--group-id", OTHER_GROUP],
            emu.environment(),
        )
    assert result.returncode == 1
    records = [json.loads(text) for text in result.stdout.splitlines()]
    assert len(records) == 4 and {r["GroupId"] for r in records} == set(GROUPS)
    assert "Exported 4 topics of 3 groups to stdout" in result.stderr
    assert f"group {missing}: get_topic: error 10010" in result.stderr


def test_bad_groups_are_refused_before_any_request(tmp_path: Path) -> None:
    groups_file = tmp_path / "groups.txt"
    groups_file.write_text(f"{GROUP}\nnot-a-community\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    with EmulatorThread() as emu:
        env = emu.environment()
        results = [
            run_cli(["export", "--groups-file", str(groups_file), "-o", str(output)], env),
            run_cli(["export", "-o", str(output)], env),
            run_cli(["export", "--group-id", GROUP, "--map-group", GROUP, "bad"], env),
        ]
        calls = emu.run(lambda e: e.stats.calls)
    assert [result.returncode for result in results] == [2, 2, 2]
    assert "groups.txt line 2" in results[0].stderr
    assert "no group to export" in results[1].stderr
    assert "--map-group DEST" in results[2].stderr
    assert calls == 0
    assert not output.exists()


def test_a_group_map_exports_into_other_group_ids(tmp_path: Path) -> None:
    target = "@TGS#_new-home"
    with EmulatorThread() as emu:
        filled = run_cli(
            ["import", str(write_jsonl(tmp_path / "s.jsonl", source_bodies(4)))],
            emu.environment(),
        )
        assert filled.returncode == 0, filled.stderr
        result = run_cli(
            ["export", "--group-id", GROUP, "--map-group", GROUP, target], emu.environment()
        )
    assert result.returncode == 0, result.stderr
    records = [json.loads(text) for text in result.stdout.splitlines()]
    assert len(records) == 2 and {r["GroupId"] for r in records} == {target}
    moves = {(r["SourceTopicId"], r["TopicId"]) for r in records}
    assert moves == {(f"{GROUP}@TOPIC#_t{n}", f"{target}@TOPIC#_t{n}") for n in (0, 2)}
