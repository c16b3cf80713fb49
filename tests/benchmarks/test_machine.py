"""The host's stolen CPU time, read from a /proc/stat text."""

from __future__ import annotations

import os

import pytest

from benchmarks.machine import stolen_seconds

STAT = "cpu  445902 0 54234 1409362 4727 0 9520 7991 0 0\ncpu0 148791 0 19032 789275 295 0 4174 3928 0 0\n"


def test_the_eighth_figure_of_the_cpu_line_in_seconds() -> None:
    assert stolen_seconds(STAT) == pytest.approx(7991 / os.sysconf("SC_CLK_TCK"))


@pytest.mark.parametrize("text", ["", "intr 1 2 3\n", "cpu 1 2 3\n"])
def test_unknown_when_the_text_has_no_cpu_line_with_steal(text: str) -> None:
    assert stolen_seconds(text) is None


def test_this_machine_counts_or_says_it_does_not_know() -> None:
    stolen = stolen_seconds()
    assert stolen is None or stolen >= 0
