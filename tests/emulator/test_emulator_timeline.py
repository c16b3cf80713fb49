"""Calls per whole second, for charts: counted from an origin, gaps filled, memory bounded."""

from __future__ import annotations

import pytest

from tim_topics.emulator.timeline import CallTimeline, Timeline


def test_calls_are_counted_per_whole_second_from_the_origin() -> None:
    timeline = CallTimeline(100.0)
    for now, admitted in [(100.1, True), (100.9, False), (101.0, True), (103.5, True)]:
        timeline.add(now, admitted=admitted)
    snap = timeline.snapshot()
    assert snap.first_second == 0
    assert snap.arrived == (2, 1, 0, 1)
    assert snap.admitted == (1, 1, 0, 1)
    assert list(snap.seconds) == [0, 1, 2, 3]
    assert snap.first_admitted_at == pytest.approx(0.1)
    assert snap.last_admitted_at == pytest.approx(3.5)


def test_the_first_second_is_that_of_the_first_call() -> None:
    timeline = CallTimeline(0.0)
    timeline.add(7.2, admitted=False)
    snap = timeline.snapshot()
    assert (snap.first_second, snap.arrived, snap.admitted) == (7, (1,), (0,))
    assert snap.first_admitted_at is None and snap.last_admitted_at is None


def test_only_the_last_seconds_are_kept() -> None:
    timeline = CallTimeline(0.0, keep=3)
    for second in range(10):
        timeline.add(second + 0.5, admitted=True)
    snap = timeline.snapshot()
    assert (snap.first_second, snap.arrived) == (7, (1, 1, 1))
    timeline.add(1000.0, admitted=True)  # a long quiet spell: no thousand zeros
    snap = timeline.snapshot()
    assert (snap.first_second, snap.arrived) == (1000, (1,))
    timeline.add(1.0, admitted=True)  # before what is kept: not charted
    assert timeline.snapshot().arrived == (1,)


def test_an_empty_timeline() -> None:
    assert CallTimeline(5.0).snapshot() == Timeline()


@pytest.mark.parametrize("keep", [0, -1, 1.5, True])
def test_a_bad_keep_is_refused(keep: object) -> None:
    with pytest.raises(ValueError, match="keep"):
        CallTimeline(0.0, keep=keep)  # type: ignore[arg-type]
