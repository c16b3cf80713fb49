"""bench_far in miniature: every workload once, for every contender, against the emulator
on a thread of this process with small latencies. It checks that the benchmark produces its
figures (per command), its table and its chart, not how fast anything is."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.bench_far import Run, Settings, report, run_all, save
from benchmarks.far_service import ThreadService
from tim_topics import COMMANDS

TINY = Settings(
    seconds=0.4,
    tasks=4,
    stall_calls=12,
    stall_seconds=0.2,
    import_records=15,
    five_latencies={"300 ms": (20.0, 5.0)},
    stall_latency=(60.0, 10.0),
    import_latency=(10.0, 2.0),
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Run]:
    with ThreadService() as service:
        return run_all(service, TINY, tmp_path_factory.mktemp("far"), log=lambda _: None)


def test_every_workload_ran_for_both_contenders(runs: list[Run]) -> None:
    names = {(run.workload, run.contender) for run in runs}
    workloads = ("five commands at 300 ms", "stall", "import")
    expected = {(w, c) for w in workloads for c in ("ours", "alt")}
    expected.add(("five commands at 300 ms", "ours+gc"))  # the client in a tune_gc() process
    assert names == expected
    for run in runs:
        if run.workload.startswith("five"):
            for command in COMMANDS:
                assert run.tallies[command].ok > 0, (run.contender, command)
                assert run.seen[command].admitted > 0
                assert run.seen[command].arrived  # a timeline to chart
                assert run.ratio(command) > 0
        if run.workload == "stall":
            assert run.tallies["create_topic"].ok == TINY.stall_calls
            assert run.topics == TINY.stall_calls
            assert run.seen["create_topic"].stalled > 0
    ours_import = next(r for r in runs if r.workload == "import" and r.contender == "ours")
    assert ours_import.extra["exit_status"] == 0, ours_import.extra
    assert ours_import.seen["import_topic"].answered_ok == TINY.import_records
    assert ours_import.topics == TINY.import_records


def test_the_table_has_a_line_per_command_and_the_verdicts(runs: list[Run]) -> None:
    lines = report(runs, TINY)
    for command in COMMANDS:
        assert any(line.startswith("five commands at 300 ms") and command in line for line in lines)
    assert any(line.startswith("stall:") for line in lines)
    assert any("busiest sliding second over every run" in line for line in lines)


def test_the_figures_and_the_chart_are_written(runs: list[Run], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "far.png"
    written = save(runs, TINY, out)
    assert written == [out.with_suffix(".json"), out]
    assert out.read_bytes().startswith(b"\x89PNG") and out.stat().st_size > 10_000
    assert '"five commands at 300 ms"' in out.with_suffix(".json").read_text()
