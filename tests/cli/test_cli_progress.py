"""The progress figures: rates, durations, the tally, the plain log line."""

from __future__ import annotations

import io
import logging

import pytest
from support.constants import SECRET

from tim_topics import TopicClient, TopicRecord
from tim_topics.bulk import ImportOutcome
from tim_topics.cli.progress import (
    ImportTally,
    ProgressDisplay,
    ProgressWatch,
    RateMeter,
    format_duration,
)

RECORD = TopicRecord(group_id="@TGS#_@TGS#cQVLVHIM62CJ", topic_name="t")


def test_rate_meter_measures_over_its_window() -> None:
    meter = RateMeter(window=5.0)
    assert meter.sample(0, now=100.0) == 0.0
    assert meter.sample(200, now=101.0) == pytest.approx(200.0)
    assert meter.sample(1000, now=105.0) == pytest.approx(200.0)
    assert meter.sample(1000, now=120.0) == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "?"), (0, "0s"), (59.6, "1m00s"), (61, "1m01s"), (7322, "2h02m")]
)
def test_durations_read_well(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_the_tally_counts_each_status_and_earlier_runs_apart() -> None:
    tally = ImportTally(total=5)
    for status, earlier in [
        ("imported", False),
        ("exists", False),
        ("failed", False),
        ("imported", True),
    ]:
        tally.add(ImportOutcome(index=0, record=RECORD, status=status, earlier=earlier))  # type: ignore[arg-type]
    tally.bad_lines += 1
    assert (tally.imported, tally.exists, tally.failed, tally.earlier) == (1, 1, 1, 1)
    assert (tally.done, tally.failures) == (5, 2)


@pytest.mark.asyncio
async def test_off_a_terminal_progress_is_a_log_line() -> None:
    stream = io.StringIO()
    client = TopicClient(1400000000, "administrator", SECRET, base_url="http://127.0.0.1:9")
    tally = ImportTally(total=10, imported=4, failed=1)
    display = ProgressDisplay(
        ProgressWatch(tally, client, "import_topic", 200), stream, label="import"
    )
    logging.getLogger("tim_topics.cli").setLevel(logging.INFO)
    display.start()
    try:
        display.show()
    finally:
        display.stop()
        await client.aclose()
    text = stream.getvalue()
    assert "import: 5/10 (50%)" in text
    assert "calls/s (limit 200, now 196)" in text
    assert "failures 1" in text
