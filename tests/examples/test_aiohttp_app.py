"""examples/aiohttp_app.py on a real TCP site on loopback, against the emulator."""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from support.constants import GROUP
from support.examples import app_socket_and_emulator, load_example

from tim_topics import webhook_sign
from tim_topics.emulator import Emulator

APP, KEY, TOKEN = 1400000000, "test-secret-key", "test-webhook-token"
TOPICS = f"/groups/{quote(GROUP, safe='')}/topics"
BEFORE_CREATE = "Group.CallbackBeforeCreateTopic"

example = load_example("aiohttp_app")


@contextlib.asynccontextmanager
async def served(
    make_runner: Callable[[web.Application], web.AppRunner] = example.make_runner,
) -> AsyncIterator[tuple[aiohttp.ClientSession, Emulator]]:
    """The example app on a free loopback port, calling an emulator whose webhooks go back
    to the app; a session for the app."""
    sock, url, emu = await app_socket_and_emulator(APP, KEY, TOKEN, GROUP)
    settings = example.Settings(sdkappid=APP, secret_key=KEY, base_url=emu.url, webhook_token=TOKEN)
    runner = make_runner(example.create_app(settings))
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        async with aiohttp.ClientSession(url) as session:
            yield session, emu
    finally:
        await emu.stop()  # first: it waits for its webhooks still on their way to the app
        await runner.cleanup()


def signed_query(command: str, token: str = TOKEN) -> dict[str, str]:
    now = str(int(time.time()))
    return {
        "SdkAppid": str(APP),
        "CallbackCommand": command,
        "contenttype": "json",
        "RequestTime": now,
        "Sign": webhook_sign(token, now),
    }


@pytest.mark.asyncio
async def test_crud_errors_and_webhooks(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    async with served() as (http, emu):
        async with http.post(TOPICS, json={"topic_name": "general"}) as created:
            assert created.status == 201, await created.text()
            topic_id = (await created.json())["topic_id"]
        one = f"{TOPICS}/{quote(topic_id, safe='')}"
        async with http.get(one) as got:
            assert (await got.json())["topic_name"] == "general"
        async with http.get(TOPICS) as listed:
            assert [t["topic_id"] for t in await listed.json()] == [topic_id]
        async with http.patch(one, json={"notification": "Be kind"}) as changed:
            assert changed.status == 200
            assert (await changed.json())["notification"] == "Be kind"
        assert emu.topics(GROUP)[0].notification == "Be kind"

        async with http.post(TOPICS, json={"topic_name": "x" * 31}) as too_long:
            assert too_long.status == 422
            assert (await too_long.json())["field"] == "topic_name"
        async with http.post(TOPICS, json={"topic_name": "a", "owner": "x"}) as unknown:
            assert unknown.status == 422
        custom = {"topic_name": "news", "topic_id": f"{GROUP}@TOPIC#_news"}
        async with http.post(TOPICS, json=custom) as first:
            assert first.status == 201
        async with http.post(TOPICS, json=custom) as again:
            assert again.status == 409
        async with http.post(TOPICS, json={"topic_name": "draft-1"}) as draft:
            assert draft.status == 422  # refused by the app's own webhook handler
            assert (await draft.json())["code"] == 10150
        emu.fail_next("create_topic", kind="drop_after")
        async with http.post(TOPICS, json={"topic_name": "lost"}) as lost:
            assert lost.status == 504
            assert "outcome is unknown" in (await lost.json())["detail"]

        async with http.delete(one) as deleted:
            assert deleted.status == 204
        async with http.get(one) as gone:
            assert gone.status == 404
        assert sorted(t.topic_name for t in emu.topics(GROUP)) == ["lost", "news"]

        body = {"CallbackCommand": BEFORE_CREATE, "Name": "draft-2"}
        async with http.post("/tim/callback", params=signed_query(BEFORE_CREATE), json=body) as a:
            assert a.status == 200
            assert (await a.json())["ErrorCode"] == 10150
        forged = signed_query(BEFORE_CREATE, token="not-the-token")
        async with http.post("/tim/callback", params=forged, json=body) as refused:
            assert refused.status == 401
    assert not [r for r in caplog.records if r.name == "aiohttp.access"]
    assert "Sign=" not in caplog.text


@pytest.mark.asyncio
async def test_default_access_log_would_print_the_sign(caplog: pytest.LogCaptureFixture) -> None:
    """Why the example serves with access_log=None."""
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    async with served(web.AppRunner) as (http, _):
        body = {"CallbackCommand": BEFORE_CREATE, "Name": "general"}
        async with http.post("/tim/callback", params=signed_query(BEFORE_CREATE), json=body) as a:
            assert a.status == 200
    assert "Sign=" in caplog.text


@pytest.mark.asyncio
async def test_demo_app_runs_against_its_embedded_emulator() -> None:
    """What ``python examples/aiohttp_app.py --emulator`` serves."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    runner = example.make_runner(example.demo_app("127.0.0.1", port))
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            demo_topics = f"/groups/{quote(example.DEMO_GROUP, safe='')}/topics"
            async with http.post(demo_topics, json={"topic_name": "draft-x"}) as draft:
                assert draft.status == 422  # through the emulator's signed webhook
            async with http.post(demo_topics, json={"topic_name": "general"}) as created:
                assert created.status == 201
            async with http.get(demo_topics) as listed:
                assert [t["topic_name"] for t in await listed.json()] == ["general"]
    finally:
        await runner.cleanup()
