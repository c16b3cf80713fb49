"""The fault plan: which admitted call fails, and how, and how long each call takes.

Faults are set through this control API (or the command line), never by values inside a
request. Two sources, scripted first:

- scripted faults (``fail_next``): the next N calls of a command fail in a given way;
- rates (``set_faults``): each admitted call draws once from a ``random.Random(seed)`` and
  fails with the given probabilities.

How long a call takes is the configured latency (``set_faults``), except during a stall
(``stall``): a slow spell of N seconds, after which the configured latency is back. A call
takes the stall's latency when it arrives during the stall (answers already being prepared
keep theirs), which is how a far service that stalls looks from the client.

With a seed, a given sequence of calls meets the same faults and delays on every run.
(Concurrent calls reach the plan in the order the event loop serves them, so reproducing a
concurrent run exactly needs the same arrival order.) Delays come from a second generator
derived from the seed, so turning latency on or off does not change which calls fail.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Final, Literal, get_args

import attrs

from ..errors import ValidationError
from .spec import COMMANDS

FaultKind = Literal["error", "http_502", "drop_before", "drop_after"]
FAULT_KINDS: Final[tuple[str, ...]] = get_args(FaultKind)
#: Milliseconds of latency (or jitter) a call can be given: below one minute.
MAX_LATENCY_MS: Final = 60_000
#: The longest a stall may last, or be scheduled ahead: one day.
MAX_STALL_SECONDS: Final = 86_400


@attrs.frozen
class Fault:
    """One injected fault: an error answer with ``code``, a gateway 502 with an HTML page,
    or a connection closed without an answer before (nothing changed) or after (the
    change was made) the work."""

    kind: FaultKind
    code: int = 0


@attrs.frozen(kw_only=True)
class Stall:
    """A slow spell: calls arriving from ``starts_at`` until ``ends_at`` (the emulator's
    monotonic clock, in seconds) take ``latency_ms`` +- ``jitter_ms`` instead of the
    configured latency."""

    latency_ms: float
    jitter_ms: float
    starts_at: float
    ends_at: float
    commands: frozenset[str] | None = None
    """The commands that stall; None for all."""

    def covers(self, command: str, now: float) -> bool:
        """Whether a call of ``command`` arriving at ``now`` takes the stall's latency."""
        in_time = self.starts_at <= now < self.ends_at
        return in_time and (self.commands is None or command in self.commands)


@attrs.frozen
class Timing:
    """How long one admitted call takes, and whether a stall decided it."""

    seconds: float
    stalled: bool = False


def check_command(command: str) -> str:
    if command not in COMMANDS:
        raise ValidationError(
            "command", f"command {command!r} is unknown; the commands are: {', '.join(COMMANDS)}"
        )
    return command


def check_error_code(code: object, field: str = "code") -> int:
    if isinstance(code, bool) or not isinstance(code, int) or code == 0:
        raise ValidationError(field, f"{field} must be a non-zero int error code, got {code!r}")
    return code


def _number(value: object) -> float | None:
    """``value`` as a float, or None when it is not an int or float (bools are not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _check_rate(name: str, value: object) -> float:
    number = _number(value)
    if number is None or not 0 <= number <= 1:
        raise ValidationError(name, f"{name} must be a number from 0 to 1, got {value!r}")
    return number


def _check_ms(name: str, value: object) -> float:
    number = _number(value)
    if number is None or not 0 <= number < MAX_LATENCY_MS:
        raise ValidationError(
            name,
            f"{name} must be a number of milliseconds from 0 to below {MAX_LATENCY_MS}, "
            f"got {value!r}",
        )
    return number


def _check_seconds(name: str, value: object, *, zero_allowed: bool) -> float:
    number = _number(value)
    above_low = number is not None and (number >= 0 if zero_allowed else number > 0)
    if number is None or not above_low or number > MAX_STALL_SECONDS:
        low = "from 0" if zero_allowed else "above 0"
        raise ValidationError(
            name, f"{name} must be a number of seconds {low} to {MAX_STALL_SECONDS}, got {value!r}"
        )
    return number


def _rate_field(instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    _check_rate(attribute.name, value)


def _ms_field(instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    _check_ms(attribute.name, value)


def _error_rates(value: Mapping[int, float] | None) -> Mapping[int, float]:
    return {
        check_error_code(code, "error_rate code"): _check_rate(f"error_rate[{code}]", rate)
        for code, rate in (value or {}).items()
    }


def _commands(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(map(check_command, value))


@attrs.frozen(kw_only=True)
class FaultRates:
    """Per-call probabilities of each fault, and the added processing time: checked when
    made (ValidationError naming the field), so a record is always usable. Rates are from 0
    to 1 and together at most 1; milliseconds below one minute."""

    error_rate: Mapping[int, float] = attrs.field(factory=dict, converter=_error_rates)
    """ErrorCode -> probability of answering it."""
    http_502_rate: float = attrs.field(default=0.0, validator=_rate_field)
    drop_before_rate: float = attrs.field(default=0.0, validator=_rate_field)
    drop_after_rate: float = attrs.field(default=0.0, validator=_rate_field)
    latency_ms: float = attrs.field(default=0.0, validator=_ms_field)
    jitter_ms: float = attrs.field(default=0.0, validator=_ms_field)
    seed: int | None = None
    commands: frozenset[str] | None = attrs.field(default=None, converter=_commands)
    """The commands the rates and latency apply to; None for all."""

    def __attrs_post_init__(self) -> None:
        total = sum(self.error_rate.values()) + sum(
            (self.http_502_rate, self.drop_before_rate, self.drop_after_rate)
        )
        if total > 1 + 1e-9:
            raise ValidationError(
                "error_rate",
                f"the fault rates add up to {total:g}; together they must be at most 1",
            )

    def thresholds(self) -> tuple[tuple[float, Fault], ...]:
        """Cumulative probability -> fault, for one draw from [0, 1)."""
        outcomes = [
            (self.http_502_rate, Fault("http_502")),
            (self.drop_before_rate, Fault("drop_before")),
            (self.drop_after_rate, Fault("drop_after")),
            *((rate, Fault("error", code)) for code, rate in sorted(self.error_rate.items())),
        ]
        total = 0.0
        thresholds = []
        for rate, fault in outcomes:
            if rate > 0:
                total += rate
                thresholds.append((total, fault))
        return tuple(thresholds)


@attrs.define
class _Scripted:
    fault: Fault
    left: int


class FaultPlan:
    """Decides, per admitted call, whether it fails and how long it takes.

    ``clock`` (monotonic seconds) times the stalls; tests pass a fake one.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._scripted: dict[str, deque[_Scripted]] = {}
        self._rates = FaultRates()
        self._thresholds: tuple[tuple[float, Fault], ...] = ()
        self._fault_rng = random.Random()
        self._latency_rng = random.Random()
        self._stall: Stall | None = None

    @property
    def rates(self) -> FaultRates:
        """The rates in force."""
        return self._rates

    @property
    def stall_plan(self) -> Stall | None:
        """The stall to come or in progress; None when there is none (or it is over)."""
        stall = self._stall
        if stall is not None and self._clock() >= stall.ends_at:
            self._stall = stall = None
        return stall

    def stall(
        self,
        latency_ms: float,
        *,
        seconds: float,
        jitter_ms: float = 0.0,
        after: float = 0.0,
        commands: Iterable[str] | None = None,
    ) -> Stall:
        """Make calls arriving in the next ``seconds`` (starting ``after`` seconds from now)
        take ``latency_ms`` +- ``jitter_ms`` (uniform); then the configured latency is back.
        Replaces any stall already planned."""
        latency = _check_ms("latency_ms", latency_ms)
        jitter = _check_ms("jitter_ms", jitter_ms)
        length = _check_seconds("seconds", seconds, zero_allowed=False)
        delay = _check_seconds("after", after, zero_allowed=True)
        chosen = None if commands is None else frozenset(map(check_command, commands))
        starts_at = self._clock() + delay
        self._stall = Stall(
            latency_ms=latency,
            jitter_ms=jitter,
            starts_at=starts_at,
            ends_at=starts_at + length,
            commands=chosen,
        )
        return self._stall

    def end_stall(self) -> None:
        """Cancel the stall planned or in progress: calls arriving from now are fast again."""
        self._stall = None

    def fail_next(
        self, command: str, *, code: int = 10002, times: int = 1, kind: FaultKind = "error"
    ) -> None:
        """Make the next ``times`` calls of ``command`` fail with ``kind``, after any
        already scripted. ``code`` is the answer's ErrorCode, for ``kind="error"`` only."""
        check_command(command)
        if kind not in FAULT_KINDS:
            raise ValidationError(
                "kind", f"kind {kind!r} is unknown; the kinds are: {', '.join(FAULT_KINDS)}"
            )
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValidationError("times", f"times must be an int of at least 1, got {times!r}")
        fault = Fault(kind, check_error_code(code)) if kind == "error" else Fault(kind)
        self._scripted.setdefault(command, deque()).append(_Scripted(fault, times))

    def set_faults(self, rates: FaultRates) -> None:
        """Put ``rates`` in force (scripted faults stay); with its ``seed`` the draws are
        reproducible."""
        self._rates = rates
        self._thresholds = rates.thresholds()
        self._fault_rng = random.Random(rates.seed)
        seed = rates.seed
        self._latency_rng = random.Random(None if seed is None else f"{seed}:latency")

    def clear(self) -> None:
        """Remove every scripted fault, rate, latency and stall."""
        self._scripted.clear()
        self._stall = None
        self.set_faults(FaultRates())

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
        return self.timing(command).seconds

    def timing(self, command: str) -> Timing:
        """How long the next admitted call of ``command``, arriving now, takes to process:
        the stall's latency during a stall, else the configured one."""
        stall = self._stall
        if stall is not None:
            now = self._clock()
            if now >= stall.ends_at:
                self._stall = None
            elif stall.covers(command, now):
                return Timing(self._draw_latency(stall.latency_ms, stall.jitter_ms), True)
        rates = self._rates
        if not (rates.latency_ms or rates.jitter_ms) or not self._applies(command):
            return Timing(0.0)
        return Timing(self._draw_latency(rates.latency_ms, rates.jitter_ms))

    def _draw_latency(self, latency_ms: float, jitter_ms: float) -> float:
        jitter = self._latency_rng.uniform(-jitter_ms, jitter_ms) if jitter_ms else 0.0
        return max(0.0, latency_ms + jitter) / 1000.0

    def _applies(self, command: str) -> bool:
        commands = self._rates.commands
        return commands is None or command in commands
