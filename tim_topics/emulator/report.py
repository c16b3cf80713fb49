"""The emulator's stats for people and scripts: a JSON document (``GET /stats``) and a short
per-command summary (what ``tim-topics emulator`` prints when it stops)."""

from __future__ import annotations

from typing import Any

from .spec import RATE_LIMITED
from .stats import CommandStats, EmulatorStats

SUMMARY_HEADER = ("command", "calls", "ok", "10006", "faults", "peak/s")


def command_json(stats: CommandStats) -> dict[str, Any]:
    return {
        "calls": stats.calls,
        "admitted": stats.admitted,
        "answers": {str(code): count for code, count in sorted(stats.answers.items())},
        "rate_limited": stats.rate_limited,
        "injected_errors": stats.injected_errors,
        "http_502": stats.http_502,
        "dropped_before": stats.dropped_before,
        "dropped_after": stats.dropped_after,
        "stalled": stats.stalled,
        "peak_window": stats.peak_window,
        "peak_arrivals": stats.peak_arrivals,
    }


def stats_json(stats: EmulatorStats) -> dict[str, Any]:
    """The stats as a JSON object: totals, then one object per command (``answers`` maps
    each ErrorCode, as a string, to its count). Timelines are left out (too long)."""
    return {
        "calls": stats.calls,
        "answers": {str(code): count for code, count in sorted(stats.answers.items())},
        "rate_limited": stats.rate_limited,
        "faults": stats.faults,
        "peak_window": stats.peak_window,
        "unrouted": stats.unrouted,
        "commands": {name: command_json(command) for name, command in stats.commands.items()},
    }


def summary_lines(stats: EmulatorStats) -> list[str]:
    """A small table: per command the calls, answers with ErrorCode 0, answers with 10006
    (the window's and injected ones), injected faults and the busiest sliding second
    admitted; then the totals."""
    rows = [
        (
            name,
            command.calls,
            command.answers.get(0, 0),
            command.answers.get(RATE_LIMITED, 0),
            command.faults,
            command.peak_window,
        )
        for name, command in stats.commands.items()
    ]
    answers = stats.answers
    rows.append(
        (
            "total",
            stats.calls,
            answers.get(0, 0),
            answers.get(RATE_LIMITED, 0),
            stats.faults,
            stats.peak_window,
        )
    )
    cells = [SUMMARY_HEADER, *(tuple(str(cell) for cell in row) for row in rows)]
    widths = [max(len(row[column]) for row in cells) for column in range(len(SUMMARY_HEADER))]
    return [
        "  ".join(
            cell.ljust(widths[0]) if column == 0 else cell.rjust(widths[column])
            for column, cell in enumerate(row)
        )
        for row in cells
    ]
