"""Counting admissions in sliding windows, for the limiter tests (in-process and Redis)."""

from __future__ import annotations

# For the Redis limiter only, whose time is Redis's real clock (the in-process limiter's
# tests run on a virtual clock, with exact bounds):
EPSILON = 0.002  # seconds: the clock read after an admission is a little after its check
# Waiters woken by a late event loop on a loaded machine return together: allow for 20 ms
# of such lateness (a limiter with a burst of its whole rate would still fail by far).
LOOP_LAG = 0.02


def max_in_window(times: list[float], window: float) -> int:
    """The most admissions any interval of ``window`` seconds holds."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best
