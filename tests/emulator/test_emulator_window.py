"""The exact sliding 1-second window, driven by a fake clock (no sleeping)."""

from __future__ import annotations

import pytest

from tim_topics.emulator.window import SlidingWindow


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def admit_many(window: SlidingWindow, count: int) -> int:
    return sum(window.try_admit() for _ in range(count))


def test_a_burst_of_300_gets_200_through_and_refuses_100() -> None:
    clock = FakeClock()
    window = SlidingWindow(200, clock=clock)
    assert admit_many(window, 300) == 200
    assert window.peak == 200


def test_refused_calls_are_not_counted() -> None:
    clock = FakeClock()
    window = SlidingWindow(2, clock=clock)
    assert [window.try_admit() for _ in range(3)] == [True, True, False]
    clock.now += 0.5
    assert window.try_admit() is False  # both admitted calls are still inside the window
    clock.now += 0.5  # exactly 1 s after the first two: they leave the window
    assert [window.try_admit(), window.try_admit(), window.try_admit()] == [True, True, False]


def test_the_window_slides_instead_of_resetting_on_second_boundaries() -> None:
    clock = FakeClock()
    window = SlidingWindow(10, clock=clock)
    clock.now = 100.9
    assert admit_many(window, 10) == 10
    clock.now = 101.1  # a fixed-second window would allow 10 more here
    assert admit_many(window, 10) == 0
    clock.now = 101.9
    assert admit_many(window, 10) == 10
    assert window.peak == 10


def test_peak_is_the_busiest_sliding_second() -> None:
    clock = FakeClock()
    window = SlidingWindow(1000, clock=clock)
    for step in range(20):  # 5 calls every 0.1 s: 50 per sliding second once full
        clock.now = 100 + step * 0.1
        admit_many(window, 5)
    assert window.peak == 50
    assert window.in_window() == 50
    window.reset_peak()
    assert window.peak == 0
    clock.now += 5
    assert window.in_window() == 0


def test_the_arrival_peak_counts_refused_calls_too() -> None:
    clock = FakeClock()
    window = SlidingWindow(200, clock=clock)
    assert admit_many(window, 300) == 200
    clock.now += 0.5
    assert admit_many(window, 100) == 0
    assert (window.peak, window.arrival_peak) == (200, 400)
    clock.now += 0.6  # the first 300 left the window; the last 100 were refused
    assert admit_many(window, 150) == 150
    assert window.arrival_peak == 400  # 100 + 150 now: the peak stays the busiest second
    window.reset_peak()
    assert (window.peak, window.arrival_peak) == (0, 0)
    assert admit_many(window, 1) == 1
    assert (window.peak, window.arrival_peak) == (151, 251)


def test_the_limit_can_change() -> None:
    clock = FakeClock()
    window = SlidingWindow(1, clock=clock)
    window.limit = 3
    assert admit_many(window, 5) == 3


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "200"])
def test_a_bad_limit_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        SlidingWindow(bad)  # type: ignore[arg-type]
