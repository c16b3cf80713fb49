"""Calls per whole second, as one command's window saw them: the data of a chart.

A long-running emulator must not grow: only the last :data:`KEEP_SECONDS` seconds are kept
(two small ints per second), older ones are dropped from the front.
"""

from __future__ import annotations

from collections import deque
from typing import Final

import attrs

#: Seconds of per-second counts kept: the last hour.
KEEP_SECONDS: Final = 3600


@attrs.frozen(kw_only=True)
class Timeline:
    """A snapshot: ``arrived[i]`` and ``admitted[i]`` are the calls of second
    ``first_second + i``, counted in whole seconds from when the stats began (the
    emulator's start or ``reset_stats``)."""

    first_second: int = 0
    arrived: tuple[int, ...] = ()
    """Calls that reached the rate window, admitted or refused with 10006."""
    admitted: tuple[int, ...] = ()
    """Calls the window admitted."""
    first_admitted_at: float | None = None
    """Seconds from when the stats began to the first admitted call; None before one."""
    last_admitted_at: float | None = None
    """Seconds from when the stats began to the latest admitted call; None before one."""

    @property
    def seconds(self) -> range:
        """The seconds the counts are for, for plotting."""
        return range(self.first_second, self.first_second + len(self.arrived))


class CallTimeline:
    """Live per-second counts of arrivals and admissions (mutable, owned by the request
    path). ``origin`` is the clock reading when the stats began."""

    __slots__ = (
        "_admitted",
        "_arrived",
        "_first",
        "_keep",
        "first_admitted",
        "last_admitted",
        "origin",
    )

    def __init__(self, origin: float, *, keep: int = KEEP_SECONDS) -> None:
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise ValueError(f"keep must be an int of at least 1, got {keep!r}")
        self.origin = origin
        self._keep = keep
        self._first = 0
        self._arrived: deque[int] = deque()
        self._admitted: deque[int] = deque()
        self.first_admitted: float | None = None
        self.last_admitted: float | None = None

    def add(self, now: float, *, admitted: bool) -> None:
        """Count one call that reached the window at clock reading ``now``."""
        since = max(0.0, now - self.origin)
        index = self._slot(int(since))
        if index < 0:
            return  # older than what is kept (a clock that went back): not charted
        self._arrived[index] += 1
        if admitted:
            self._admitted[index] += 1
            if self.first_admitted is None:
                self.first_admitted = since
            self.last_admitted = since

    def _slot(self, second: int) -> int:
        """The index of ``second`` in the deques, adding (and dropping) seconds as needed."""
        arrived, admitted = self._arrived, self._admitted
        if not arrived or second - (self._first + len(arrived) - 1) > self._keep:
            arrived.clear()
            admitted.clear()
            self._first = second
        while self._first + len(arrived) <= second:
            arrived.append(0)
            admitted.append(0)
        while len(arrived) > self._keep:
            arrived.popleft()
            admitted.popleft()
            self._first += 1
        return second - self._first

    def snapshot(self) -> Timeline:
        return Timeline(
            first_second=self._first,
            arrived=tuple(self._arrived),
            admitted=tuple(self._admitted),
            first_admitted_at=self.first_admitted,
            last_admitted_at=self.last_admitted,
        )
