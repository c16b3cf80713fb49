"""examples/bot.py as a process: its demo, and the bot against an emulator of the test's."""

from __future__ import annotations

import asyncio

import pytest
from support.constants import GROUP
from support.examples import free_port, interrupt, read_until, run_example, start_example

from tim_topics import TopicClient, WebhookRejectedError
from tim_topics.emulator import Emulator

APP, KEY, TOKEN = 1400000000, "test-secret-key", "test-webhook-token"


def test_demo_against_the_embedded_emulator() -> None:
    done = run_example("bot", "--emulator")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "refused: 10101 topic names must be lower case" in lines
    assert "notice: Welcome! Be kind." in lines
    assert any(line.endswith("(general) by administrator") for line in lines)
    assert any(line.endswith("name=None notice=Welcome! Be kind.") for line in lines)
    assert sum(line.startswith("deleted ") for line in lines) == 1


@pytest.mark.asyncio
async def test_bot_configured_from_the_environment() -> None:
    port = free_port()
    async with Emulator(
        sdkappid=APP,
        secret_key=KEY,
        groups=[GROUP],
        webhook_url=f"http://127.0.0.1:{port}/tim/callback",
        webhook_token=TOKEN,
    ) as emu:
        bot = await start_example(
            "bot",
            "--port",
            str(port),
            TIM_SDKAPPID=str(APP),
            TIM_SECRET_KEY=KEY,
            TIM_WEBHOOK_TOKEN=TOKEN,
            TIM_BASE_URL=emu.url,
        )
        try:
            await read_until(bot, "bot listening")
            async with TopicClient(APP, "administrator", KEY, base_url=emu.url) as client:
                with pytest.raises(WebhookRejectedError) as refused:
                    await client.create_topic(GROUP, "Shouting")
                assert refused.value.code == 10101
                topic_id = await client.create_topic(GROUP, "general")
                for _ in range(400):  # the bot's notice comes in the background
                    if emu.topics(GROUP)[0].notification:
                        break
                    await asyncio.sleep(0.05)
                assert emu.topics(GROUP)[0].notification == "Welcome! Be kind."
            await read_until(bot, f"created {topic_id} (general)")
        finally:
            status, rest = await interrupt(bot)
    assert status == 0, rest
    assert [t.topic_name for t in emu.topics(GROUP)] == ["general"]
