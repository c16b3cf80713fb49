"""bench_far in miniature: every workload once, for every contender, against the emulator
on a thread of this process with small latencies. It checks that the benchmark produces its
figures (per command), its table and its chart, not how fast anything is."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import attrs
import pytest

from benchmarks.bench_far import Run, Settings, report, run_all, save
from benchmarks.far_service import ServiceView, ThreadService
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
    figures = json.loads(out.with_suffix(".json").read_text())
    assert figures["python"] == platform.python_version()  # figures differ between Pythons
    assert {run["workload"] for run in figures["runs"]} >= {"five commands at 300 ms", "stall"}


def _run_seeing(per_second: tuple[int, ...], first: float, last: float) -> Run:
    admitted = sum(per_second)
    view = ServiceView(
        calls=admitted,
        admitted=admitted,
        answered_ok=admitted,
        rate_limited=0,
        peak_window=199,
        peak_arrivals=199,
        stalled=0,
        first_second=0,
        arrived=per_second,
        admitted_per_second=per_second,
        first_admitted_at=first,
        last_admitted_at=last,
    )
    return Run(
        contender="ours",
        workload="five commands at 300 ms",
        seconds=last - first,
        tallies={},
        seen={"get_topic": view},
        topics=0,
    )


def test_steady_leaves_out_a_burst_at_the_start_and_the_tail() -> None:
    # 199 in the first 0.5 s (a bucket's bank), then 160 a second, and a short tail
    run = _run_seeing((199, 160, 160, 160, 40), first=0.5, last=4.25)
    assert run.ratio("get_topic") == pytest.approx((719 - 1) / 3.75 / 200)  # 0.957
    assert run.steady("get_topic") == pytest.approx(0.8)  # the rate that was held
    assert run.held("get_topic") == pytest.approx(0.8)  # judged on the lower of the two


def test_steady_of_a_run_too_short_for_it_is_the_ratio() -> None:
    run = _run_seeing((120, 60), first=0.2, last=1.5)
    assert run.steady("get_topic") == run.ratio("get_topic")


def test_each_run_says_how_much_cpu_the_host_took(runs: list[Run]) -> None:
    for run in runs:
        assert run.stolen is None or run.stolen >= 0
        assert "cpu_stolen_seconds" in run.to_json()
    if all(run.stolen is not None for run in runs):
        assert any(line.startswith("CPU seconds the host took") for line in report(runs, TINY))


def test_a_verdict_says_when_the_host_took_the_cpu_during_the_run() -> None:
    run = _run_seeing((199, 160, 160, 160, 40), first=0.5, last=4.25)
    assert run.quiet is None and run.verdict(True) == "met"  # not known: nothing added
    quiet = attrs.evolve(run, stolen=0.05)
    assert quiet.quiet is True and quiet.verdict(False) == "MISSED"
    noisy = attrs.evolve(run, stolen=1.09)
    assert noisy.quiet is False
    assert noisy.verdict(False) == (
        "MISSED (not a quiet run: the host took 1.09 s of CPU; its figures are not comparable)"
    )
    assert noisy.to_json()["quiet"] is False


def test_the_report_names_the_runs_that_were_not_quiet(runs: list[Run]) -> None:
    noisy = [attrs.evolve(run, stolen=0.9 if run.contender == "alt" else 0.0) for run in runs]
    lines = report(noisy, TINY)
    named = [line for line in lines if line.startswith("not quiet")]
    assert len(named) == 1
    assert "five commands at 300 ms, alt" in named[0] and "stall, alt" in named[0]
    assert "ours" not in named[0]
    assert not any("not a quiet run" in line for line in lines)  # no verdict of alt's is given
