"""OpenTelemetry spans and metrics of the client's calls, read back through the SDK's
in-memory exporter and reader, against the emulator over loopback."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from support.constants import ADMIN, GROUP, SDKAPPID, SECRET

from tim_topics import NotFoundError, OutcomeUnknownError, RetryPolicy, TopicClient
from tim_topics.emulator import Emulator

FAST = RetryPolicy(max_attempts=4, max_total=10.0, initial_wait=0.001, max_wait=0.01)
MISSING = GROUP + "@TOPIC#_missing"


class Telemetry:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def points(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        data = self.reader.get_metrics_data()
        assert data is not None
        found = []
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found += [(dict(p.attributes or {}), p) for p in metric.data.data_points]
        return found


@pytest.fixture
def otel() -> Iterator[Telemetry]:
    telemetry = Telemetry()
    yield telemetry
    telemetry.tracer_provider.shutdown()
    telemetry.meter_provider.shutdown()


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(
        sdkappid=SDKAPPID, secret_key=SECRET, identifier=ADMIN, groups=[GROUP]
    ) as emulator:
        yield emulator


def client_for(emu: Emulator, otel: Telemetry) -> TopicClient:
    return TopicClient(
        SDKAPPID,
        ADMIN,
        SECRET,
        base_url=emu.url,
        retry=FAST,
        tracer_provider=otel.tracer_provider,
        meter_provider=otel.meter_provider,
    )


@pytest.mark.asyncio
async def test_each_call_is_a_span_with_attempts_and_error_code(
    emu: Emulator, otel: Telemetry
) -> None:
    emu.fail_next("create_topic", code=10002, times=2)
    async with client_for(emu, otel) as client:
        topic_id = await client.create_topic(GROUP, "General")
        with pytest.raises(NotFoundError):
            await client.modify_topic(GROUP, MISSING, notification="x")
    created, failed = otel.finished()

    assert created.name == "tim_topics.create_topic"
    assert created.kind is SpanKind.CLIENT
    assert created.attributes is not None
    assert created.attributes["tim.command"] == "create_topic"
    assert created.attributes["tim.attempts"] == 3
    assert created.attributes["tim.error_code"] == 0
    assert created.attributes["tim.throttled"] is False
    assert created.attributes["tim.limiter_wait_s"] >= 0
    assert created.attributes["server.address"] == "127.0.0.1"
    assert created.status.status_code is not StatusCode.ERROR
    assert topic_id

    assert failed.name == "tim_topics.modify_topic"
    assert failed.attributes is not None
    assert failed.attributes["tim.error_code"] == 10010
    assert failed.attributes["error.type"] == "NotFoundError"
    assert failed.status.status_code is StatusCode.ERROR
    for span in (created, failed):
        text = repr(span.to_json())
        assert SECRET not in text and "usersig" not in text


@pytest.mark.asyncio
async def test_throttled_answers_and_retries_are_counted(emu: Emulator, otel: Telemetry) -> None:
    emu.fail_next("get_topic", code=10006, times=1)
    async with client_for(emu, otel) as client:
        await client.get_topic(GROUP)
        await client.get_topic(GROUP)
    first, _ = otel.finished()
    assert first.attributes is not None and first.attributes["tim.throttled"] is True

    [(attributes, calls)] = otel.points("tim_topics.calls")
    assert attributes == {"tim.command": "get_topic", "tim.outcome": "ok"}
    assert calls.value == 2
    [(_, retries)] = otel.points("tim_topics.retries")
    assert retries.value == 1
    [(_, throttled)] = otel.points("tim_topics.throttled")
    assert throttled.value == 1
    [(_, wait)] = otel.points("tim_topics.limiter.wait")
    assert wait.count == 2
    rates = {a["tim.command"]: p.value for a, p in otel.points("tim_topics.rate.effective")}
    assert set(rates) == {
        "create_topic",
        "import_topic",
        "get_topic",
        "modify_topic",
        "destroy_topic",
    }
    assert 0 < rates["get_topic"] <= 200


@pytest.mark.asyncio
async def test_outcomes_are_told_apart(emu: Emulator, otel: Telemetry) -> None:
    emu.fail_next("create_topic", kind="drop_after")
    async with client_for(emu, otel) as client:
        with pytest.raises(OutcomeUnknownError):
            await client.create_topic(GROUP, "lost")
        with pytest.raises(NotFoundError):
            await client.modify_topic(GROUP, MISSING, introduction="x")
        await client.get_topic(GROUP)
    outcomes = {
        (a["tim.command"], a["tim.outcome"]): p.value for a, p in otel.points("tim_topics.calls")
    }
    assert outcomes == {
        ("create_topic", "outcome_unknown"): 1,
        ("modify_topic", "api_error"): 1,
        ("get_topic", "ok"): 1,
    }
    unknown_span = otel.finished()[0]
    assert unknown_span.attributes is not None
    assert unknown_span.attributes["error.type"] == "OutcomeUnknownError"
    assert "tim.error_code" not in unknown_span.attributes


def test_without_opentelemetry_nothing_is_imported(tmp_path: Any) -> None:
    """A Python where the OpenTelemetry API cannot be imported: calls work and nothing of
    it is loaded."""
    script = textwrap.dedent(
        f"""
        import asyncio, sys

        class NoOtel:
            def find_spec(self, name, path=None, target=None):
                if name == "opentelemetry" or name.startswith("opentelemetry."):
                    raise ModuleNotFoundError(name)
                return None

        sys.meta_path.insert(0, NoOtel())

        from tim_topics import TopicClient
        from tim_topics.emulator import Emulator

        async def main():
            async with Emulator(sdkappid={SDKAPPID}, secret_key="k", groups=["{GROUP}"]) as emu:
                async with TopicClient({SDKAPPID}, "administrator", "k", base_url=emu.url) as c:
                    await c.create_topic("{GROUP}", "t")
                    assert c._calls.telemetry is None

        asyncio.run(main())
        assert not [m for m in sys.modules if m.startswith("opentelemetry")], "imported"
        print("clean")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "clean"


def test_without_a_configured_provider_nothing_is_done() -> None:
    """The API installed but no provider set: no spans, not even no-op ones."""
    client = TopicClient(SDKAPPID, ADMIN, SECRET, base_url="http://127.0.0.1:1")
    assert client._calls.telemetry is None


def test_a_global_provider_set_before_the_client_is_used() -> None:
    """The usual set-up: the app configures OpenTelemetry once at start-up (a subprocess,
    since the global provider can be set only once)."""
    script = textwrap.dedent(
        f"""
        import asyncio
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from tim_topics import TopicClient
        from tim_topics.emulator import Emulator

        spans = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(spans))
        trace.set_tracer_provider(provider)

        async def main():
            async with Emulator(sdkappid={SDKAPPID}, secret_key="k", groups=["{GROUP}"]) as emu:
                async with TopicClient({SDKAPPID}, "administrator", "k", base_url=emu.url) as c:
                    await c.get_topic("{GROUP}")

        asyncio.run(main())
        print([s.name for s in spans.get_finished_spans()])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['tim_topics.get_topic']"
