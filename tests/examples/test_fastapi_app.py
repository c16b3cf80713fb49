"""examples/fastapi_app.py, served by a real uvicorn on loopback against the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from support.constants import GROUP
from support.examples import app_socket_and_emulator, load_example

from tim_topics import RateLimitedError, webhook_sign
from tim_topics.emulator import Emulator

APP, KEY, TOKEN = 1400000000, "test-secret-key", "test-webhook-token"
TOPICS = f"/groups/{quote(GROUP, safe='')}/topics"

example = load_example("fastapi_app")


class InProcessServer(uvicorn.Server):
    """uvicorn in the test's event loop; the test runner keeps its signal handlers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def served(
    make_config: Callable[[Any], uvicorn.Config],
) -> AsyncIterator[tuple[httpx.AsyncClient, Emulator]]:
    """The example app under uvicorn on a free port, calling an emulator whose webhooks go
    back to the app; an httpx client for it."""
    sock, url, emu = await app_socket_and_emulator(APP, KEY, TOKEN, GROUP)
    settings = example.Settings(sdkappid=APP, secret_key=KEY, base_url=emu.url, webhook_token=TOKEN)
    server = InProcessServer(make_config(example.create_app(settings)))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            assert not serving.done(), "uvicorn stopped during startup"
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=url) as http:
            yield http, emu
    finally:
        await emu.stop()  # first: it waits for its webhooks still on their way to the app
        server.should_exit = True
        await serving
        sock.close()


def webhook_query(command: str, *, token: str | None = TOKEN) -> dict[str, str]:
    """The query the service puts on a webhook's URL, signed with ``token``."""
    now = str(int(time.time()))
    query = {
        "SdkAppid": str(APP),
        "CallbackCommand": command,
        "contenttype": "json",
        "ClientIP": "127.0.0.1",
        "OptPlatform": "RESTAPI",
        "RequestTime": now,
    }
    if token is not None:
        query["Sign"] = webhook_sign(token, now)
    return query


@pytest.mark.asyncio
async def test_crud_error_mapping_and_webhooks(capsys: pytest.CaptureFixture[str]) -> None:
    async with served(lambda app: example.server_config(app, port=0)) as (http, emu):
        created = await http.post(TOPICS, json={"topic_name": "general", "introduction": "hi"})
        assert created.status_code == 201, created.text
        topic_id = created.json()["topic_id"]
        one = f"{TOPICS}/{quote(topic_id, safe='')}"

        got = await http.get(one)
        assert got.status_code == 200
        assert got.json()["topic_name"] == "general"
        assert got.json()["introduction"] == "hi"
        listed = await http.get(TOPICS)
        assert [t["topic_id"] for t in listed.json()] == [topic_id]

        changed = await http.patch(one, json={"notification": "Be kind", "mute_all_member": True})
        assert changed.status_code == 200, changed.text
        assert changed.json()["notification"] == "Be kind"
        assert changed.json()["mute_all_member"] is True
        assert emu.topics(GROUP)[0].notification == "Be kind"

        # errors of the library, as HTTP statuses
        too_long = await http.post(TOPICS, json={"topic_name": "x" * 31})
        assert too_long.status_code == 422
        assert too_long.json()["field"] == "topic_name"
        custom = {"topic_name": "news", "topic_id": f"{GROUP}@TOPIC#_news"}
        assert (await http.post(TOPICS, json=custom)).status_code == 201
        assert (await http.post(TOPICS, json=custom)).status_code == 409
        # the app's own webhook refuses drafts: emulator -> app -> refusal -> 422
        draft = await http.post(TOPICS, json={"topic_name": "draft-1"})
        assert draft.status_code == 422
        assert draft.json() == {"error": "refused", "detail": "no drafts here", "code": 10150}
        # the answer to a create is lost: the app says the outcome is unknown
        emu.fail_next("create_topic", kind="drop_after")
        lost = await http.post(TOPICS, json={"topic_name": "lost"})
        assert lost.status_code == 504
        assert "outcome is unknown" in lost.json()["detail"]

        deleted = await http.delete(one)
        assert deleted.status_code == 204
        assert (await http.get(one)).status_code == 404
        assert (await http.delete(one)).status_code == 404
        assert sorted(t.topic_name for t in emu.topics(GROUP)) == ["lost", "news"]

        # a signed webhook, answered by the library's router
        body = {"CallbackCommand": "Group.CallbackBeforeCreateTopic", "Name": "draft-2"}
        command = "Group.CallbackBeforeCreateTopic"
        signed = await http.post("/tim/callback", params=webhook_query(command), json=body)
        assert signed.status_code == 200
        assert signed.json()["ErrorCode"] == 10150
        body["Name"] = "release-notes"
        allowed = await http.post("/tim/callback", params=webhook_query(command), json=body)
        assert allowed.json() == {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}
        forged = await http.post(
            "/tim/callback", params=webhook_query(command, token="not-the-token"), json=body
        )
        assert forged.status_code == 401
    printed = "".join(capsys.readouterr())
    assert "Application startup complete" in printed  # uvicorn's log is captured...
    assert "Sign=" not in printed  # ...and holds no Sign
    assert "/tim/callback" not in printed  # no access log at all by default


@pytest.mark.asyncio
async def test_access_log_keeps_paths_without_query(capsys: pytest.CaptureFixture[str]) -> None:
    async with served(lambda app: example.server_config(app, port=0, access_log=True)) as (
        http,
        _,
    ):
        command = "Group.CallbackAfterTopicDestroyed"
        body = {"CallbackCommand": command, "GroupId": GROUP, "TopicIdList": []}
        answer = await http.post("/tim/callback", params=webhook_query(command), json=body)
        assert answer.status_code == 200
    printed = "".join(capsys.readouterr())
    assert '"POST /tim/callback HTTP/1.1" 200' in printed
    assert "Sign=" not in printed
    assert "RequestTime=" not in printed


@pytest.mark.asyncio
async def test_uvicorn_default_access_log_prints_the_sign(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Why the example turns it off: uvicorn's default access line holds the query."""
    async with served(lambda app: uvicorn.Config(app, access_log=True)) as (http, _):
        command = "Group.CallbackAfterTopicDestroyed"
        body = {"CallbackCommand": command, "GroupId": GROUP, "TopicIdList": []}
        await http.post("/tim/callback", params=webhook_query(command), json=body)
    assert "Sign=" in "".join(capsys.readouterr())


def test_rate_limited_is_429_with_retry_after() -> None:
    answer = example.error_answer(RateLimitedError(10006, "over the limit", "get_topic"))
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "1"
