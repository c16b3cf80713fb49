"""``tim-topics import --redis-url``: importers share one budget per command in Redis."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from support.constants import GROUP, SDKAPPID

from tim_topics.emulator import Emulator

KEY = "import-shared-budget-key"


def environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIM_")}
    env.update(TIM_SDKAPPID=str(SDKAPPID), TIM_SECRET_KEY=KEY, TIM_BASE_URL=url)
    return env


async def tim_topics(*args: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tim_topics.cli.main",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, output.decode()


def write_topics(path: Path, names: range) -> Path:
    path.write_text(
        "".join(json.dumps({"GroupId": GROUP, "TopicName": f"t{n}"}) + "\n" for n in names)
    )
    return path


@pytest.mark.asyncio
async def test_two_importers_share_one_budget(redis_url: str, tmp_path: Path) -> None:
    async with Emulator(sdkappid=SDKAPPID, secret_key=KEY, groups=[GROUP], rate_limit=60) as emu:
        env = environment(emu.url)
        first = write_topics(tmp_path / "first.jsonl", range(0, 120))
        second = write_topics(tmp_path / "second.jsonl", range(120, 240))
        runs = await asyncio.gather(
            tim_topics(
                "import", str(first), "--rate-limit", "60", "--redis-url", redis_url, env=env
            ),
            tim_topics(
                "import", str(second), "--rate-limit", "60", "--redis-url", redis_url, env=env
            ),
        )
        assert [code for code, _ in runs] == [0, 0], runs
        stats = emu.stats["import_topic"]
        assert len(emu.topics(GROUP)) == 240
        # two processes, one budget of 60/s: the emulator's window never saw more
        assert stats.rate_limited == 0
        assert stats.peak_window <= 60
    client = aioredis.Redis.from_url(redis_url)
    try:
        assert await client.exists(f"tim:{SDKAPPID}:import_topic")
    finally:
        await client.aclose()


@pytest.mark.asyncio
async def test_a_password_on_the_command_line_is_refused(tmp_path: Path) -> None:
    source = write_topics(tmp_path / "t.jsonl", range(1))
    code, output = await tim_topics(
        "import",
        str(source),
        "--redis-url",
        "redis://:hunter2@127.0.0.1:6379/0",
        env=environment("http://127.0.0.1:9"),
    )
    assert code == 2
    assert "TIM_REDIS_URL" in output and "hunter2" not in output


@pytest.mark.asyncio
async def test_an_unreachable_redis_is_a_clear_error(tmp_path: Path) -> None:
    source = write_topics(tmp_path / "t.jsonl", range(1))
    env = environment("http://127.0.0.1:9")
    env["TIM_REDIS_URL"] = "redis://:s3cret@127.0.0.1:9/0"
    code, output = await tim_topics("import", str(source), env=env)
    assert code == 2
    assert "s3cret" not in output and "127.0.0.1:9" in output
