"""What the emulator saw: calls and answers per command, throttling, faults, peak windows,
stalled calls, and calls per second over time.

The request path bumps plain counters (:class:`CommandCounters`, cheap); ``Emulator.stats``
hands out frozen snapshots (:class:`EmulatorStats`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import attrs

from .spec import COMMANDS
from .timeline import CallTimeline, Timeline


class CommandCounters:
    """Live counters of one command (mutable, owned by the request path)."""

    __slots__ = (
        "admitted",
        "answers",
        "calls",
        "dropped_after",
        "dropped_before",
        "http_502",
        "injected_errors",
        "rate_limited",
        "stalled",
        "timeline",
    )

    def __init__(self, origin: float = 0.0) -> None:
        self.timeline = CallTimeline(origin)
        self.stalled = 0
        self.calls = 0
        self.admitted = 0
        self.answers: dict[int, int] = {}
        self.rate_limited = 0
        self.injected_errors = 0
        self.http_502 = 0
        self.dropped_before = 0
        self.dropped_after = 0

    def answered(self, code: int) -> None:
        self.answers[code] = self.answers.get(code, 0) + 1


@attrs.frozen(kw_only=True)
class CommandStats:
    """What one command saw."""

    calls: int = 0
    """Requests to the command's path, whatever became of them."""
    admitted: int = 0
    """Calls the sliding window let through (they then met faults, latency and the work)."""
    answers: Mapping[int, int] = attrs.field(factory=dict)
    """JSON answers delivered, by ``ErrorCode`` (0 for success)."""
    rate_limited: int = 0
    """Calls the sliding window refused with 10006 (scripted 10006 faults are not in it)."""
    peak_window: int = 0
    """The most calls admitted in any sliding 1-second window (never above the limit)."""
    peak_arrivals: int = 0
    """The most calls that reached the window, admitted or refused with 10006, in any
    sliding 1-second window: the busiest second the client sent; above the limit, the
    client overshot it."""
    stalled: int = 0
    """Admitted calls that arrived during a stall and took its latency."""
    timeline: Timeline = attrs.field(factory=Timeline)
    """Calls per whole second since the stats began, for a chart."""
    http_502: int = 0
    """Gateway 502 answers (HTML) injected."""
    dropped_before: int = 0
    """Connections closed without an answer before the work (nothing changed)."""
    dropped_after: int = 0
    """Connections closed without an answer after the work was done."""
    injected_errors: int = 0
    """Error answers injected by the fault plan (also counted by code in ``answers``)."""

    @property
    def faults(self) -> int:
        """Every injected fault: error answers, 502s and dropped connections."""
        return self.injected_errors + self.http_502 + self.dropped_before + self.dropped_after


@attrs.frozen(kw_only=True)
class EmulatorStats:
    """A snapshot of every command's :class:`CommandStats`; totals as properties."""

    commands: Mapping[str, CommandStats]
    unrouted: int = 0
    """Requests to a path that is not one of the five commands (answered 60009)."""

    def __getitem__(self, command: str) -> CommandStats:
        return self.commands[command]

    @property
    def calls(self) -> int:
        return sum(stats.calls for stats in self.commands.values())

    @property
    def answers(self) -> Mapping[int, int]:
        """JSON answers of all commands by ``ErrorCode``."""
        total: dict[int, int] = {}
        for stats in self.commands.values():
            for code, count in stats.answers.items():
                total[code] = total.get(code, 0) + count
        return total

    @property
    def rate_limited(self) -> int:
        """10006 answers given by the sliding windows, all commands."""
        return sum(stats.rate_limited for stats in self.commands.values())

    @property
    def peak_window(self) -> int:
        """The highest per-command peak: the sliding windows are per command."""
        return max((stats.peak_window for stats in self.commands.values()), default=0)

    @property
    def peak_arrivals(self) -> int:
        """The highest per-command busiest second of arrivals (admitted or refused)."""
        return max((stats.peak_arrivals for stats in self.commands.values()), default=0)

    @property
    def stalled(self) -> int:
        return sum(stats.stalled for stats in self.commands.values())

    @property
    def http_502(self) -> int:
        return sum(stats.http_502 for stats in self.commands.values())

    @property
    def dropped_before(self) -> int:
        return sum(stats.dropped_before for stats in self.commands.values())

    @property
    def dropped_after(self) -> int:
        return sum(stats.dropped_after for stats in self.commands.values())

    @property
    def injected_errors(self) -> int:
        return sum(stats.injected_errors for stats in self.commands.values())

    @property
    def faults(self) -> int:
        """Every injected fault, all commands."""
        return sum(stats.faults for stats in self.commands.values())


class StatsRecorder:
    """The counters of every command, and of requests to no command.

    ``clock`` (monotonic seconds, the rate windows' clock) places calls on the timelines.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.commands: dict[str, CommandCounters] = {}
        self.unrouted = 0
        self.reset()

    def reset(self) -> None:
        """Start every count again from zero, and the timelines from now."""
        origin = self._clock()
        self.commands = {name: CommandCounters(origin) for name in COMMANDS}
        self.unrouted = 0

    def arrived(self, counters: CommandCounters, *, admitted: bool) -> None:
        """Put a call that reached the rate window on its command's timeline."""
        counters.timeline.add(self._clock(), admitted=admitted)

    def snapshot(
        self, peaks: Mapping[str, int], arrival_peaks: Mapping[str, int] | None = None
    ) -> EmulatorStats:
        arrival_peaks = arrival_peaks or {}
        return EmulatorStats(
            commands={
                name: CommandStats(
                    calls=counters.calls,
                    admitted=counters.admitted,
                    answers=dict(counters.answers),
                    rate_limited=counters.rate_limited,
                    peak_window=peaks.get(name, 0),
                    peak_arrivals=arrival_peaks.get(name, 0),
                    stalled=counters.stalled,
                    timeline=counters.timeline.snapshot(),
                    http_502=counters.http_502,
                    dropped_before=counters.dropped_before,
                    dropped_after=counters.dropped_after,
                    injected_errors=counters.injected_errors,
                )
                for name, counters in self.commands.items()
            },
            unrouted=self.unrouted,
        )
