"""The limiter what-if on a virtual clock: its figures, and that it leaves the limiter as it
found it (its variants change module constants for their run only)."""

from __future__ import annotations

from benchmarks import limiter_pauses
from tim_topics import limiter
from tim_topics.send_window import window_cap


def test_every_variant_keeps_the_window_and_restores_the_limiter() -> None:
    banked, taken = limiter.LATENESS_BANKED, limiter.MissedTokens.taken
    for variant in limiter_pauses.VARIANTS:
        rate, busiest = limiter_pauses.run(variant, seconds=6.0, seed=1)
        assert 0.5 < rate <= 1.0, variant
        assert busiest <= window_cap(200), variant  # stops or not, never over the window
        assert limiter.LATENESS_BANKED == banked
        assert limiter.MissedTokens.taken is taken


def test_the_figures_count_the_middle_and_the_busiest_second() -> None:
    moments = [i / 128 for i in range(6 * 128)]  # 128 a second for 6 s (exact in binary)
    rate, busiest = limiter_pauses.figures(moments, seconds=6.0)
    assert rate == 3 * 128 / 3 / 200  # 2 s to 5 s
    assert busiest == 128
