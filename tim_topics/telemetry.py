"""Optional OpenTelemetry traces and metrics of the client's calls.

Used only when the ``opentelemetry`` API is installed (``pip install 'tim-topics[otel]'``)
and the app has configured a provider: globally before it creates the client, or per
client with ``tracer_provider=`` / ``meter_provider=``. Otherwise nothing is imported (API
not installed) or nothing is done (no provider), and calls run exactly as before.

Each call is one span ``tim_topics.<command>`` (kind CLIENT) with:

==========================  ===========================================================
``tim.command``             the command (``create_topic``, ...)
``tim.attempts``            HTTP requests the call made (retries included)
``tim.error_code``          the service's final ``ErrorCode`` (0 on success), when it answered
``tim.throttled``           whether any answer said the rate limit was exceeded
``tim.limiter_wait_s``      seconds the call waited for rate-limit tokens
``error.type``              the exception class, when the call failed
``server.address``          the service's host
==========================  ===========================================================

Metrics (meter ``tim_topics``): ``tim_topics.calls`` (counter, by ``tim.command`` and
``tim.outcome``: ``ok``, ``api_error``, ``transport_error``, ``outcome_unknown``,
``invalid``, ``cancelled``), ``tim_topics.call.duration`` (histogram, s),
``tim_topics.retries`` and ``tim_topics.throttled`` (counters), ``tim_topics.limiter.wait``
(histogram, s) and ``tim_topics.rate.effective`` (gauge, calls/s the limiter allows now).
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import ApiError, OutcomeUnknownError, TransportError, ValidationError
from .metrics import CallLog

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation
    from opentelemetry.trace import TracerProvider

T = TypeVar("T")

INSTRUMENTATION_NAME = "tim_topics"


def telemetry_available() -> bool:
    """Whether the OpenTelemetry API is installed (checked without importing it)."""
    try:
        return importlib.util.find_spec("opentelemetry.trace") is not None
    except ModuleNotFoundError:
        return False


def providers_configured() -> bool:
    """Whether the app has set a global tracer or meter provider (an SDK's, not the API's
    placeholders). Without one every span and instrument would be a no-op: the client
    then skips telemetry altogether, which saves tens of microseconds a call."""
    if not telemetry_available():
        return False
    from opentelemetry import metrics, trace

    unset = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
    tracing = not isinstance(trace.get_tracer_provider(), unset)
    meter_provider = metrics.get_meter_provider()
    metering = not (
        isinstance(meter_provider, metrics.NoOpMeterProvider)
        or type(meter_provider).__name__.endswith("ProxyMeterProvider")
    )
    return tracing or metering


def outcome_of(error: BaseException | None) -> str:
    """The ``tim.outcome`` of a call that ended with ``error`` (None: it succeeded)."""
    if error is None:
        return "ok"
    if isinstance(error, OutcomeUnknownError):
        return "outcome_unknown"
    if isinstance(error, ApiError):
        return "api_error"
    if isinstance(error, TransportError):
        return "transport_error"
    if isinstance(error, ValidationError):
        return "invalid"
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"
    return "error"


class Telemetry:
    """Spans and instruments of one client."""

    def __init__(
        self,
        *,
        version: str,
        host: str,
        effective_rate: Callable[[str], float],
        commands: Iterable[str],
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        from opentelemetry import metrics, trace

        self._trace = trace
        self._host = host
        self._tracer = trace.get_tracer(INSTRUMENTATION_NAME, version, tracer_provider)
        meter = metrics.get_meter(INSTRUMENTATION_NAME, version, meter_provider)
        self._calls = meter.create_counter(
            "tim_topics.calls", unit="{call}", description="Calls by command and outcome"
        )
        self._duration = meter.create_histogram(
            "tim_topics.call.duration", unit="s", description="Time of a call, retries included"
        )
        self._retries = meter.create_counter(
            "tim_topics.retries", unit="{attempt}", description="Attempts after a failed one"
        )
        self._throttled = meter.create_counter(
            "tim_topics.throttled",
            unit="{answer}",
            description="Answers saying the rate limit was exceeded (10006 and the like)",
        )
        self._limiter_wait = meter.create_histogram(
            "tim_topics.limiter.wait", unit="s", description="Time a call waited for tokens"
        )
        self._commands = tuple(commands)
        self._effective_rate = effective_rate
        meter.create_observable_gauge(
            "tim_topics.rate.effective",
            callbacks=[self._observe_rates],
            unit="{call}/s",
            description="The rate each command's limiter allows now",
        )

    def _observe_rates(self, options: CallbackOptions) -> Iterable[Observation]:
        from opentelemetry.metrics import Observation

        return [
            Observation(self._effective_rate(command), {"tim.command": command})
            for command in self._commands
        ]

    async def observe(self, command: str, call: Awaitable[T], log: CallLog) -> T:
        """Run one call inside its span, then record its metrics."""
        trace = self._trace
        started = time.perf_counter()
        error: BaseException | None = None
        with self._tracer.start_as_current_span(
            f"tim_topics.{command}",
            kind=trace.SpanKind.CLIENT,
            attributes={"tim.command": command, "server.address": self._host},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                return await call
            except BaseException as exc:
                error = exc
                raise
            finally:
                attributes: dict[str, Any] = {
                    "tim.attempts": log.attempts,
                    "tim.throttled": log.throttled > 0,
                    "tim.limiter_wait_s": log.limiter_wait,
                }
                if error is None:
                    attributes["tim.error_code"] = 0
                else:
                    if isinstance(error, ApiError):
                        attributes["tim.error_code"] = error.code
                    attributes["error.type"] = type(error).__name__
                    span.set_status(trace.Status(trace.StatusCode.ERROR, str(error)))
                    if isinstance(error, Exception):
                        span.record_exception(error)
                span.set_attributes(attributes)
                self._record(command, error, log, time.perf_counter() - started)

    def _record(
        self, command: str, error: BaseException | None, log: CallLog, duration: float
    ) -> None:
        by_command = {"tim.command": command}
        outcome = {"tim.command": command, "tim.outcome": outcome_of(error)}
        if isinstance(error, ApiError):
            outcome["tim.error_code"] = str(error.code)
        self._calls.add(1, outcome)
        self._duration.record(duration, outcome)
        if log.attempts > 1:
            self._retries.add(log.attempts - 1, by_command)
        if log.throttled:
            self._throttled.add(log.throttled, by_command)
        if log.attempts:
            self._limiter_wait.record(log.limiter_wait, by_command)


def client_telemetry(
    *,
    host: str,
    effective_rate: Callable[[str], float],
    commands: Iterable[str],
    tracer_provider: TracerProvider | None,
    meter_provider: MeterProvider | None,
) -> Telemetry | None:
    """A client's telemetry when a provider is given or configured globally; None (nothing
    imported without the API, nothing done) otherwise."""
    if tracer_provider is None and meter_provider is None and not providers_configured():
        return None
    from . import __version__

    return Telemetry(
        version=__version__,
        host=host,
        effective_rate=effective_rate,
        commands=commands,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
    )
