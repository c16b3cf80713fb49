"""How quiet the machine was: the CPU time its host took away during a run.

The project's machine is a virtual one with 2 cores. When the host runs other guests, it
takes CPU time from ours ("steal", Linux's ``/proc/stat``), and the client and the emulator
both stop for a while: the client loses the tokens of that time, and the emulator counts
the arrivals of that time late and together. A far run's figures are only comparable
between runs on a quiet machine, so each run says how much was taken.
"""

from __future__ import annotations

import os
from pathlib import Path

STAT = Path("/proc/stat")


def stolen_seconds(stat_text: str | None = None) -> float | None:
    """CPU seconds the host has taken from this machine since boot (all cores together),
    from ``/proc/stat`` (or ``stat_text``); None where that is not known (not Linux)."""
    if stat_text is None:
        try:
            stat_text = STAT.read_text("ascii")
        except OSError:
            return None
    fields = stat_text.split("\n", 1)[0].split()
    if len(fields) < 9 or fields[0] != "cpu":
        return None
    return int(fields[8]) / os.sysconf("SC_CLK_TCK")
