"""examples/migration.py as a process: its demo, and a file into an emulator of the test's."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest
from support.constants import GROUP
from support.examples import EXAMPLES, RUN_TIMEOUT, example_env, run_example

from tim_topics.emulator import Emulator

APP, KEY = 1400000000, "test-secret-key"


def test_demo_imports_resumes_and_moves(tmp_path: Path) -> None:
    done = run_example("migration", "--emulator", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "stopped after 50 records" in out
    resumed = re.findall(r"summary: 1 bad line, (\d+) done earlier, (\d+) imported", out)
    assert len(resumed) == 1, out
    earlier, imported = map(int, resumed[0])
    assert earlier >= 50
    assert earlier + imported == 120
    assert "not sent: line 121: TopicName is 31 bytes, the limit is 30" in out
    assert "the app holds 120 topics, none twice" in out
    assert "moved 120 topics; 60 service-assigned IDs mapped" in out
    assert list(tmp_path.iterdir()) == []  # the demo works in a directory of its own


async def migrate(path: Path, emu: Emulator) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / "migration.py"),
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=example_env(TIM_SDKAPPID=str(APP), TIM_SECRET_KEY=KEY, TIM_BASE_URL=emu.url),
    )
    out, _ = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, out.decode()


@pytest.mark.asyncio
async def test_a_file_from_the_environment_then_resumed(tmp_path: Path) -> None:
    topics = tmp_path / "topics.jsonl"
    lines = [f'{{"GroupId": "{GROUP}", "TopicName": "Topic {n}"}}' for n in range(10)]
    topics.write_text("\n".join([*lines, '{"GroupId": "' + GROUP + '"}']) + "\n")
    async with Emulator(sdkappid=APP, secret_key=KEY, groups=[GROUP]) as emu:
        status, out = await migrate(topics, emu)
        assert status == 1, out  # the last line has no TopicName
        assert "summary: 1 bad line, 10 imported" in out
        assert "not sent: line 11:" in out
        assert (tmp_path / "topics.jsonl.journal").exists()
        # the same command again: nothing is imported twice
        status, out = await migrate(topics, emu)
        assert status == 1, out
        assert "summary: 1 bad line, 10 done earlier" in out
        assert sorted(t.topic_name for t in emu.topics(GROUP)) == [f"Topic {n}" for n in range(10)]
