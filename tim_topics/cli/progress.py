"""Progress of an import: a live rich bar on a terminal, plain log lines otherwise.

Both show the same figures: records done of the total, calls per second against the limit
(and the limiter's effective rate, lower when the service throttled), the estimated time
left, retries, throttled answers and failures.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Final, TextIO

import attrs
from rich.console import Console, Group
from rich.live import Live
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from ..bulk.outcome import ImportOutcome
from ..bulk.pacing import ImportGauges
from ..client import TopicClient

logger = logging.getLogger("tim_topics.cli.import")

#: Seconds between two plain log lines.
LOG_INTERVAL: Final = 5.0
#: Seconds between two refreshes of the bar.
BAR_INTERVAL: Final = 0.25
#: Seconds over which rates are measured.
RATE_WINDOW: Final = 5.0


@attrs.define
class ImportTally:
    """What this run has done so far."""

    total: int
    imported: int = 0
    exists: int = 0
    failed: int = 0
    unknown: int = 0
    """Records sent whose outcome could not be told (the next run settles them)."""
    bad_lines: int = 0
    earlier: int = 0
    """Records an earlier run had already imported (not sent again)."""
    failed_earlier: int = 0
    """Records an earlier run marked failed (left to the failures file, not sent again)."""

    def add(self, outcome: ImportOutcome) -> None:
        if outcome.earlier and not outcome.ok:
            self.failed_earlier += 1
        elif outcome.earlier:
            self.earlier += 1
        elif outcome.status == "imported":
            self.imported += 1
        elif outcome.status == "exists":
            self.exists += 1
        elif outcome.status == "unknown":
            self.unknown += 1
        else:
            self.failed += 1

    @property
    def done(self) -> int:
        return (
            self.imported
            + self.exists
            + self.failed
            + self.unknown
            + self.bad_lines
            + self.earlier
            + self.failed_earlier
        )

    @property
    def failures(self) -> int:
        return self.failed + self.failed_earlier + self.bad_lines


class RateMeter:
    """The rate of growth of a counter over the last ``window`` seconds."""

    def __init__(self, window: float = RATE_WINDOW) -> None:
        self.window = window
        self._samples: deque[tuple[float, float]] = deque()

    def sample(self, value: float, now: float | None = None) -> float:
        """Record ``value`` now and return the rate per second over the window."""
        moment = time.monotonic() if now is None else now
        self._samples.append((moment, value))
        while len(self._samples) > 2 and moment - self._samples[1][0] >= self.window:
            self._samples.popleft()
        first_time, first_value = self._samples[0]
        span = moment - first_time
        return (value - first_value) / span if span > 0 else 0.0


@attrs.frozen(kw_only=True)
class Snapshot:
    done: int
    total: int
    calls_per_second: float
    limit: float
    effective_rate: float
    eta_seconds: float | None
    retries: int
    throttled: int
    failures: int
    in_flight: int | None = None
    latency: float | None = None
    waiting: str | None = None

    def figures(self) -> str:
        """Everything but done/total, for the bar and the log line."""
        flight = ""
        if self.in_flight is not None:
            flight = f" | in flight {self.in_flight}"
            if self.latency is not None:
                flight += f" ({self.latency * 1000:.0f} ms each)"
        text = (
            f"{self.calls_per_second:.0f} calls/s (limit {self.limit:g}, now "
            f"{self.effective_rate:.0f}){flight} | ETA {format_duration(self.eta_seconds)} | "
            f"retries {self.retries} | throttled {self.throttled} | failures {self.failures}"
        )
        if self.waiting is not None:
            text = f"WAITING: {self.waiting} | " + text
        return text


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class ProgressWatch:
    """Takes snapshots of an import: the tally, and the client's counters and limiter."""

    def __init__(
        self,
        tally: ImportTally,
        client: TopicClient,
        command: str,
        limit: float,
        *,
        gauges: ImportGauges | None = None,
    ):
        self.tally = tally
        self.gauges = gauges
        self.client = client
        self.command = command
        self.limit = limit
        self._calls = RateMeter()
        self._records = RateMeter(window=3 * RATE_WINDOW)

    def begin(self) -> None:
        """Take the first samples, so the first rates shown are measured from here."""
        self._calls.sample(self.client.metrics.requests)
        self._records.sample(self.tally.done - self.tally.earlier)

    def snapshot(self) -> Snapshot:
        tally, metrics = self.tally, self.client.metrics
        record_rate = self._records.sample(tally.done - tally.earlier)
        left = tally.total - tally.done
        return Snapshot(
            done=tally.done,
            total=tally.total,
            calls_per_second=self._calls.sample(metrics.requests),
            limit=self.limit,
            effective_rate=self.client.effective_rate(self.command),
            eta_seconds=left / record_rate if record_rate > 0 else (0.0 if left <= 0 else None),
            retries=metrics.retries,
            throttled=metrics.throttled,
            failures=tally.failures,
            in_flight=None if self.gauges is None else self.gauges.in_flight,
            latency=None if self.gauges is None else self.gauges.latency,
            waiting=None if self.gauges is None else self.gauges.waiting,
        )


class _Figures:
    """The line under the bar; rich renders it afresh on each refresh."""

    def __init__(self) -> None:
        self.text = ""

    def __rich__(self) -> Text:
        return Text(self.text, style="dim")


class ProgressDisplay:
    """Shows snapshots until stopped: a rich bar on a terminal, else log lines."""

    def __init__(self, watch: ProgressWatch, stream: TextIO, *, label: str) -> None:
        self.watch = watch
        self.label = label
        self.live = stream.isatty()
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._handler: logging.Handler | None = None
        self._live: Live | None = None
        self._figures = _Figures()
        self._stream = stream

    def start(self) -> None:
        """Show the bar (on a terminal) and route log lines above it."""
        root = logging.getLogger()
        self.watch.begin()
        if self.live:
            console = Console(file=self._stream)
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(bar_width=None),
                MofNCompleteColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                console=console,
                expand=True,
            )
            self._task = self._progress.add_task(self.label, total=self.watch.tally.total)
            self._live = Live(
                Group(self._progress, self._figures),
                console=console,
                refresh_per_second=4,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()
            self._handler = RichHandler(console=console, show_path=False, show_time=False)
        else:
            self._handler = logging.StreamHandler(self._stream)
            self._handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        root.addHandler(self._handler)

    def show(self) -> None:
        snapshot = self.watch.snapshot()
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=snapshot.done)
            self._figures.text = snapshot.figures()
        else:
            share = 100 * snapshot.done / snapshot.total if snapshot.total else 100.0
            logger.info(
                "%s: %d/%d (%.0f%%) | %s",
                self.label,
                snapshot.done,
                snapshot.total,
                share,
                snapshot.figures(),
            )

    async def run(self) -> None:
        """Refresh until cancelled."""
        interval = BAR_INTERVAL if self.live else LOG_INTERVAL
        while True:
            await asyncio.sleep(interval)
            self.show()

    def stop(self) -> None:
        """Show the last figures and take the bar and its log handler down."""
        if self._live is not None:
            self.show()
            self._live.stop()
        if self._handler is not None:
            logging.getLogger().removeHandler(self._handler)
