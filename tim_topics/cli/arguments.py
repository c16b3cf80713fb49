"""Argument types shared by the subcommands: numbers within bounds, with messages that say
what was given and what is allowed."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", int, float)


def bounded(
    kind: Callable[[str], N],
    *,
    low: float,
    high: float | None = None,
    low_excluded: bool = False,
    high_excluded: bool = False,
    noun: str = "a number",
    label: str = "",
) -> Callable[[str], N]:
    """An argparse type: ``kind(text)`` within ``[low, high]`` (ends excluded on request)."""

    def parse(text: str) -> N:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None
        too_low = value <= low if low_excluded else value < low
        too_high = high is not None and (value >= high if high_excluded else value > high)
        if high is None and too_low:
            raise argparse.ArgumentTypeError(f"{value:g} must be above {low:g}")
        if too_low or too_high:
            raise argparse.ArgumentTypeError(
                f"{label}{value:g} is outside {low:g} to {high:g}".lstrip()
            )
        return value

    return parse


positive_int = bounded(int, low=0, low_excluded=True, noun="an integer")
positive_float = bounded(float, low=0, low_excluded=True)
port = bounded(int, low=0, high=65535, noun="a port number", label="port ")
share = bounded(float, low=0, high=1, label="rate ")
milliseconds = bounded(
    float, low=0, high=60_000, high_excluded=True, noun="a number of milliseconds", label="ms "
)
