"""The one Ctrl-C/SIGTERM handler of the long commands (``tim_topics.cli.signals``), with real
signals: in this process for the handler itself, in a subprocess for ``tim-topics export``."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from support.cli import EmulatorThread, start_cli, wait_until

from tim_topics.cli.exits import EXIT_INTERRUPTED
from tim_topics.cli.signals import stop_signals


@pytest.mark.asyncio
async def test_a_signal_cancels_work_that_has_no_graceful_stop() -> None:
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    work = asyncio.ensure_future(forever())
    with stop_signals(work) as signals:
        await started.wait()
        os.kill(os.getpid(), signal.SIGTERM)
        with pytest.raises(asyncio.CancelledError):
            await work
    assert signals.received == 1


@pytest.mark.asyncio
async def test_the_first_signal_stops_gracefully_and_the_second_abandons() -> None:
    stop = asyncio.Event()
    finished_gracefully = False

    async def until_stopped_then_forever() -> None:
        nonlocal finished_gracefully
        await stop.wait()
        finished_gracefully = True
        await asyncio.Event().wait()  # in flight: only a second signal ends it

    work = asyncio.ensure_future(until_stopped_then_forever())
    with stop_signals(work, stop, stopping="stopping") as signals:
        os.kill(os.getpid(), signal.SIGINT)
        await asyncio.wait_for(stop.wait(), 30)
        await asyncio.sleep(0)
        assert not work.done()
        os.kill(os.getpid(), signal.SIGINT)
        with pytest.raises(asyncio.CancelledError):
            await work
    assert finished_gracefully
    assert signals.received == 2


def test_sigterm_stops_an_export_and_leaves_its_file_as_it_was(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    output.write_bytes(b"earlier\n")
    groups = [arg for n in range(40) for arg in ("--group-id", f"@TGS#_missing{n}")]
    args = ["export", *groups, "--rate-limit", "1", "--concurrency", "1", "-o", str(output)]
    with EmulatorThread() as emu:
        process = start_cli(args, emu.environment())
        wait_until(lambda: emu.run(lambda e: e.stats.calls) >= 2, process)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        calls = emu.run(lambda e: e.stats.calls)
    assert process.returncode == EXIT_INTERRUPTED, stderr
    assert f"tim-topics export: interrupted; {output} was not written" in stderr
    assert output.read_bytes() == b"earlier\n"
    assert not output.with_name(output.name + ".tmp").exists()
    assert calls < 40
