"""bench_lost_answers in miniature: every run against the emulator on a thread of this
process, a few records, a high share of lost answers so that settling happens. It checks
that the benchmark imports every record exactly once and reports its figures, not how fast
anything is."""

from __future__ import annotations

import pytest

from benchmarks.bench_lost_answers import Result, report, run_all
from benchmarks.far_service import ThreadService

RECORDS = 40


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[Result]:
    with ThreadService() as service:
        return run_all(
            service, RECORDS, tmp_path_factory.mktemp("lost"), far=False, lost=0.2, log=print
        )


def test_every_run_imports_every_record_exactly_once(results: list[Result]) -> None:
    assert [r.workload.drop_after_rate for r in results] == [0.0, 0.2]
    for result in results:
        assert result.imported == RECORDS, result.statuses
        assert result.topics == RECORDS
        assert result.seen["import_topic"].admitted >= RECORDS
        assert result.peak_rss_kib > 0
    clean, lossy = results
    assert clean.group_reads == 0
    assert lossy.group_reads >= 1  # answers were lost, and settled by reading the group
    assert lossy.seen["import_topic"].calls == RECORDS  # none sent twice


def test_the_report_compares_the_lossy_run_with_the_clean_one(results: list[Result]) -> None:
    lines = report(results)
    assert any(line.startswith("50 ms, 20 % lost / 50 ms, no faults: ratio") for line in lines)
    assert sum("exactly once yes" in line for line in lines) == 2
    assert any(line.startswith("wall ratio bound") for line in lines)
