"""The chart of ``bench_far``: calls per second as the service saw them, ours against the
hand-written alternative, for the five-command run and the stall. Needs matplotlib (the
``bench`` extra)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from .far_service import ServiceView

COLORS = {"ours": "#1f77b4", "ours+gc": "#2ca02c", "alt": "#ff7f0e"}
LABELS = {
    "ours": "tim_topics TopicClient",
    "ours+gc": "TopicClient, tune_gc()",
    "alt": "aiohttp + AsyncLimiter(200, 1)",
}


def per_second(view: ServiceView, length: int) -> list[int]:
    """The view's calls per second from second 0, padded with zeros to ``length``."""
    counts = [0] * length
    for offset, count in enumerate(view.arrived):
        second = view.first_second + offset
        if 0 <= second < length:
            counts[second] = count
    return counts


def _length(views: Sequence[ServiceView]) -> int:
    return max((v.first_second + len(v.arrived) for v in views), default=0)


def _steps(values: Sequence[float]) -> tuple[list[int], list[float]]:
    """x and y of a step line where value i holds from second i to i + 1 (the last one
    included, which ``step(where="post")`` alone would not draw)."""
    return list(range(len(values) + 1)), [*values, *values[-1:]]


def _limit_line(axes: Axes, limit: int) -> None:
    axes.axhline(limit, color="#d62728", linestyle="--", linewidth=1.2, label=f"limit {limit}/s")


def _five(axes: Axes, views: Mapping[str, Mapping[str, ServiceView]], limit: int) -> None:
    length = _length([v for by_command in views.values() for v in by_command.values()])
    for contender, by_command in views.items():
        rows = [per_second(view, length) for view in by_command.values()]
        low = [min(column) for column in zip(*rows, strict=True)]
        high = [max(column) for column in zip(*rows, strict=True)]
        mean = [sum(column) / len(column) for column in zip(*rows, strict=True)]
        busiest = max(view.peak_arrivals for view in by_command.values())
        refused = sum(view.rate_limited for view in by_command.values())
        color = COLORS.get(contender, None)
        x, low_y = _steps(low)
        axes.fill_between(x, low_y, _steps(high)[1], step="post", color=color, alpha=0.2)
        axes.step(
            x,
            _steps(mean)[1],
            where="post",
            color=color,
            linewidth=1.8,
            label=(
                f"{LABELS.get(contender, contender)}: mean of the 5 commands (band: min-max); "
                f"busiest sliding second {busiest}, {refused} x 10006"
            ),
        )
    _limit_line(axes, limit)


def _stall(axes: Axes, views: Mapping[str, ServiceView], stall_seconds: float, limit: int) -> None:
    length = _length(list(views.values()))
    axes.axvspan(0, stall_seconds, color="#7f7f7f", alpha=0.15, label="the stall")
    for contender, view in views.items():
        x, y = _steps(per_second(view, length))
        axes.step(
            x,
            y,
            where="post",
            color=COLORS.get(contender, None),
            linewidth=1.8,
            label=(
                f"{LABELS.get(contender, contender)}: busiest sliding second "
                f"{view.peak_arrivals}, {view.rate_limited} x 10006"
            ),
        )
    _limit_line(axes, limit)


def draw(
    out: Path,
    *,
    five: tuple[Mapping[str, Mapping[str, ServiceView]], str],
    stall: tuple[Mapping[str, ServiceView], float, str],
    limit: int,
) -> Path:
    """Write the two-panel chart to ``out`` (PNG)."""
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(11, 10))
    _five(top, five[0], limit)
    top.set_title(f"{five[1]}: calls per second of each command, as the service saw them")
    _stall(bottom, stall[0], stall[1], limit)
    bottom.set_title(f"{stall[2]}: create_topic calls per second, as the service saw them")
    for axes in (top, bottom):
        axes.set_xlabel("seconds from the start of the run (calls counted when they arrive)")
        axes.set_ylabel("calls per second")
        axes.set_ylim(bottom=0, top=max(axes.get_ylim()[1], limit * 1.1))
        axes.grid(alpha=0.3)
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8.5, frameon=False)
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return out
