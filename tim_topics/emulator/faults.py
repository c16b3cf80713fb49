"""The fault plan: which admitted call fails, and how, and how long each call takes.

Faults are set through this control API (or the command line), never by values inside a
request. Two sources, scripted first:

- scripted faults (``fail_next``): the next N calls of a command fail in a given way;
- rates (``set_faults``): each admitted call draws once from a ``random.Random(seed)`` and
  fails with the given probabilities.

With a seed, a given sequence of calls meets the same faults and delays on every run.
(Concurrent calls reach the plan in the order the event loop serves them, so reproducing a
concurrent run exactly needs the same arrival order.) Delays come from a second generator
derived from the seed, so turning latency on or off does not change which calls fail.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Final, Literal, get_args

import attrs

from ..endpoints import COMMANDS

FaultKind = Literal["error", "http_502", "drop_before", "drop_after"]
FAULT_KINDS: Final[tuple[str, ...]] = get_args(FaultKind)


@attrs.frozen
class Fault:
    """One injected fault: an error answer with ``code``, a gateway 502 with an HTML page,
    or a connection closed without an answer before (nothing changed) or after (the
    change was made) the work."""

    kind: FaultKind
    code: int = 0


@attrs.frozen(kw_only=True)
class FaultRates:
    """Per-call probabilities of each fault, and the added processing time."""

    error_rate: Mapping[int, float] = attrs.field(factory=dict)
    http_502_rate: float = 0.0
    drop_before_rate: float = 0.0
    drop_after_rate: float = 0.0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    seed: int | None = None
    commands: frozenset[str] | None = None
    """The commands the rates and latency apply to; None for all."""


def check_command(command: str) -> str:
    if command not in COMMANDS:
        raise ValueError(f"command {command!r} is unknown; the commands are: {', '.join(COMMANDS)}")
    return command


def check_error_code(code: object, field: str = "code") -> int:
    if isinstance(code, bool) or not isinstance(code, int) or code == 0:
        raise ValueError(f"{field} must be a non-zero int error code, got {code!r}")
    return code


def _check_rate(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number from 0 to 1, got {value!r}")
    return float(value)


def _check_ms(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 60_000:
        raise ValueError(f"{name} must be a number of milliseconds from 0 to 60000, got {value!r}")
    return float(value)


@attrs.define
class _Scripted:
    fault: Fault
    left: int


class FaultPlan:
    """Decides, per admitted call, whether it fails and how long it takes."""

    def __init__(self) -> None:
        self._scripted: dict[str, deque[_Scripted]] = {}
        self._rates = FaultRates()
        self._thresholds: tuple[tuple[float, Fault], ...] = ()
        self._fault_rng = random.Random()
        self._latency_rng = random.Random()

    @property
    def rates(self) -> FaultRates:
        """The rates in force."""
        return self._rates

    def fail_next(
        self, command: str, *, code: int = 10002, times: int = 1, kind: FaultKind = "error"
    ) -> None:
        """Make the next ``times`` calls of ``command`` fail with ``kind``, after any
        already scripted. ``code`` is the answer's ErrorCode, for ``kind="error"`` only."""
        check_command(command)
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind {kind!r} is unknown; the kinds are: {', '.join(FAULT_KINDS)}")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be an int of at least 1, got {times!r}")
        fault = Fault(kind, check_error_code(code)) if kind == "error" else Fault(kind)
        self._scripted.setdefault(command, deque()).append(_Scripted(fault, times))

    def set_faults(
        self,
        *,
        error_rate: Mapping[int, float] | None = None,
        http_502_rate: float = 0.0,
        drop_before_rate: float = 0.0,
        drop_after_rate: float = 0.0,
        latency_ms: float = 0.0,
        jitter_ms: float = 0.0,
        seed: int | None = None,
        commands: Iterable[str] | None = None,
    ) -> None:
        """Replace the rates (scripted faults stay). Rates are per call, from 0 to 1, and
        together at most 1. Each call takes ``latency_ms`` +- ``jitter_ms`` (uniform)."""
        errors = {
            check_error_code(code, "error_rate code"): _check_rate(f"error_rate[{code}]", rate)
            for code, rate in (error_rate or {}).items()
        }
        rates = FaultRates(
            error_rate=errors,
            http_502_rate=_check_rate("http_502_rate", http_502_rate),
            drop_before_rate=_check_rate("drop_before_rate", drop_before_rate),
            drop_after_rate=_check_rate("drop_after_rate", drop_after_rate),
            latency_ms=_check_ms("latency_ms", latency_ms),
            jitter_ms=_check_ms("jitter_ms", jitter_ms),
            seed=seed,
            commands=None if commands is None else frozenset(map(check_command, commands)),
        )
        thresholds: list[tuple[float, Fault]] = []
        total = 0.0
        outcomes = [
            (rates.http_502_rate, Fault("http_502")),
            (rates.drop_before_rate, Fault("drop_before")),
            (rates.drop_after_rate, Fault("drop_after")),
            *((rate, Fault("error", code)) for code, rate in sorted(errors.items())),
        ]
        for rate, fault in outcomes:
            if rate > 0:
                total += rate
                thresholds.append((total, fault))
        if total > 1 + 1e-9:
            raise ValueError(
                f"the fault rates add up to {total:g}; together they must be at most 1"
            )
        self._rates = rates
        self._thresholds = tuple(thresholds)
        self._fault_rng = random.Random(seed)
        self._latency_rng = random.Random(None if seed is None else f"{seed}:latency")

    def clear(self) -> None:
        """Remove every scripted fault, rate and latency."""
        self._scripted.clear()
        self.set_faults()

    def scripted(self, command: str) -> int:
        """How many scripted faults of ``command`` are still to come."""
        return sum(entry.left for entry in self._scripted.get(command, ()))

    def draw(self, command: str) -> Fault | None:
        """The fault of the next admitted call of ``command``, or None."""
        queue = self._scripted.get(command)
        if queue:
            entry = queue[0]
            entry.left -= 1
            if entry.left <= 0:
                queue.popleft()
            return entry.fault
        if not self._thresholds or not self._applies(command):
            return None
        point = self._fault_rng.random()
        for threshold, fault in self._thresholds:
            if point < threshold:
                return fault
        return None

    def delay(self, command: str) -> float:
        """Seconds the next admitted call of ``command`` takes to process."""
        rates = self._rates
        if not (rates.latency_ms or rates.jitter_ms) or not self._applies(command):
            return 0.0
        jitter = self._latency_rng.uniform(-rates.jitter_ms, rates.jitter_ms)
        return max(0.0, rates.latency_ms + jitter) / 1000.0

    def _applies(self, command: str) -> bool:
        commands = self._rates.commands
        return commands is None or command in commands
