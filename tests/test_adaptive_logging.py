"""The adaptive limiter logs each rate cut and each return to the configured rate: one
INFO line each, with the command and the new rate, and nothing per call."""

from __future__ import annotations

import logging

import pytest

from tim_topics.adaptive import AimdRate
from tim_topics.limiter import LocalLimiter

LOGGER = "tim_topics.adaptive"


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER]


def test_one_line_per_cut_and_one_on_recovery(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    aimd = AimdRate(200.0, clock=clock, name="create_topic")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        for _ in range(50):
            aimd.rate()  # calls at the full rate: nothing
        assert lines(caplog) == []
        aimd.throttled(ok_last_second=100)  # cut to 95
        aimd.throttled(ok_last_second=10)  # within the cut interval: no cut, no line
        [cut] = lines(caplog)
        assert cut.levelno == logging.INFO
        assert "create_topic" in cut.getMessage() and "95.0" in cut.getMessage()
        for _ in range(20):
            clock.now += 1
            aimd.rate()  # still recovering: nothing per call
        assert len(lines(caplog)) == 1
        clock.now += 1000
        for _ in range(20):
            assert aimd.rate() == 200.0
    cut, back = lines(caplog)
    assert back.levelno == logging.INFO
    assert "create_topic" in back.getMessage() and "200.0" in back.getMessage()


def test_a_cut_that_changes_nothing_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    aimd = AimdRate(1.0, min_rate=1.0, clock=FakeClock(), name="get_topic")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        aimd.throttled(ok_last_second=0)
        assert aimd.rate() == 1.0
    assert lines(caplog) == []


@pytest.mark.asyncio
async def test_the_local_limiter_names_the_command(caplog: pytest.LogCaptureFixture) -> None:
    limiter = LocalLimiter(200)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        for _ in range(30):
            await limiter.acquire("modify_topic")
            limiter.feedback("modify_topic", throttled=False)
        assert lines(caplog) == []
        limiter.feedback("modify_topic", throttled=True)
        limiter.feedback("modify_topic", throttled=True)  # the same cut interval
    [cut] = lines(caplog)
    assert "modify_topic" in cut.getMessage()
    assert f"{limiter.effective_rate('modify_topic'):.1f}" in cut.getMessage()


def test_the_package_logger_has_a_null_handler() -> None:
    import tim_topics

    handlers = logging.getLogger(tim_topics.__name__).handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)


def test_an_app_without_logging_configured_sees_nothing_on_stderr() -> None:
    import subprocess
    import sys

    code = (
        "import logging, tim_topics; "
        "logging.getLogger('tim_topics.client').warning('a retried call'); "
        "logging.getLogger('tim_topics.adaptive').info('a cut')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr == ""
