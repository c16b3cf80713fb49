"""WebhookSender against a recording app on a loopback port."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest
import pytest_asyncio
from aiohttp import web
from support.constants import GROUP, SDKAPPID
from support.scripted import serving

from tim_topics.emulator.events import (
    CreatingTopic,
    TopicCreated,
    TopicInfoChanged,
    TopicsDestroyed,
)
from tim_topics.emulator.hooks import TopicEventSink
from tim_topics.emulator.webhook_sender import WebhookSender
from tim_topics.webhooks import WebhookVerifier

TOKEN = "sender-test-token-91c2"
NOW = 1700000000
TOPIC = GROUP + "@TOPIC#_TestTopic"


@attrs.define
class Recorder:
    """The app's side: records every webhook and answers as told."""

    url: str = ""
    requests: list[dict[str, Any]] = attrs.field(factory=list)
    status: int = 200
    answer: Any = attrs.field(
        factory=lambda: {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}
    )
    delay: float = 0.0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.requests.append(
            {"query": dict(request.query), "body": await request.json(), "peer": peer}
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        if isinstance(self.answer, str):
            return web.Response(text=self.answer, status=self.status)
        return web.json_response(self.answer, status=self.status)


@pytest_asyncio.fixture
async def app() -> AsyncIterator[Recorder]:
    recorder = Recorder()
    server = web.Application()
    server.router.add_post("/hook", recorder.handle)
    async with serving(server, shutdown_timeout=0.1) as url:
        recorder.url = f"{url}/hook"
        yield recorder


def sender_for(url: str, **kwargs: Any) -> WebhookSender:
    kwargs.setdefault("token", TOKEN)
    return WebhookSender(url=url, sdkappid=SDKAPPID, clock=lambda: NOW, **kwargs)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def test_it_is_a_topic_event_sink() -> None:
    assert isinstance(sender_for("http://127.0.0.1:1/"), TopicEventSink)


@pytest.mark.asyncio
async def test_before_create_query_and_body(app: Recorder) -> None:
    sender = sender_for(app.url)
    try:
        verdict = await sender.ask(
            CreatingTopic(group_id=GROUP, operator_account="leckie", topic_name="TestTopic")
        )
    finally:
        await sender.aclose()
    assert verdict == (0, "")
    [request] = app.requests
    assert request["query"] == {
        "SdkAppid": str(SDKAPPID),
        "CallbackCommand": "Group.CallbackBeforeCreateTopic",
        "contenttype": "json",
        "ClientIP": "127.0.0.1",
        "OptPlatform": "RESTAPI",
        "RequestTime": str(NOW),
        "Sign": request["query"]["Sign"],
    }
    WebhookVerifier(sdkappid=SDKAPPID, token=TOKEN, clock=lambda: NOW).verify(request["query"])
    assert request["body"] == {
        "CallbackCommand": "Group.CallbackBeforeCreateTopic",
        "Operator_Account": "leckie",
        "Type": "Community",
        "Name": "TestTopic",
    }


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        ({"ActionStatus": "OK", "ErrorCode": 1, "ErrorInfo": ""}, (1, "")),
        ({"ActionStatus": "OK", "ErrorCode": 10150, "ErrorInfo": "nope"}, (10150, "nope")),
        ({"ErrorCode": 10101}, (10101, "")),
        ({"ActionStatus": "OK", "ErrorCode": "1"}, (0, "")),
        ({"ActionStatus": "OK"}, (0, "")),
        ([1], (0, "")),
        ("not json", (0, "")),
    ],
)
async def test_before_create_verdicts(app: Recorder, answer: Any, verdict: tuple[int, str]) -> None:
    app.answer = answer
    sender = sender_for(app.url)
    try:
        assert (
            await sender.ask(CreatingTopic(group_id=GROUP, operator_account="a", topic_name="t"))
            == verdict
        )
    finally:
        await sender.aclose()


@pytest.mark.asyncio
async def test_non_200_allows_and_is_not_retried(
    app: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    app.status = 500
    app.answer = {"ErrorCode": 1}
    sender = sender_for(app.url)
    with caplog.at_level(logging.WARNING):
        try:
            verdict = await sender.ask(
                CreatingTopic(group_id=GROUP, operator_account="a", topic_name="t")
            )
        finally:
            await sender.aclose()
    assert verdict == (0, "")
    assert len(app.requests) == 1
    assert "HTTP 500" in caplog.text
    assert TOKEN not in caplog.text and "Sign" not in caplog.text


@pytest.mark.asyncio
async def test_slow_app_allows_after_the_timeout(app: Recorder) -> None:
    app.delay = 5.0
    sender = sender_for(app.url, timeout=0.2)
    started = time.monotonic()
    try:
        verdict = await sender.ask(
            CreatingTopic(group_id=GROUP, operator_account="a", topic_name="t")
        )
    finally:
        await sender.aclose()
    assert verdict == (0, "")
    assert time.monotonic() - started < 4  # did not wait for the app
    assert len(app.requests) == 1


@pytest.mark.asyncio
async def test_unreachable_app_allows_and_after_events_do_not_raise(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sender = sender_for(closed_port_url())
    with caplog.at_level(logging.WARNING):
        try:
            verdict = await sender.ask(
                CreatingTopic(group_id=GROUP, operator_account="a", topic_name="t")
            )
            await sender.send(TopicsDestroyed(group_id=GROUP, topic_ids=(TOPIC,)))
            await sender.drain()
        finally:
            await sender.aclose()
    assert verdict == (0, "")
    assert caplog.text.count("failed") == 2


@pytest.mark.asyncio
async def test_after_events_bodies(app: Recorder) -> None:
    sender = sender_for(app.url)
    try:
        await sender.send(
            TopicCreated(
                group_id=GROUP,
                topic_id=TOPIC,
                operator_account="leckie",
                owner_account="owner",
                topic_name="TestTopic",
            )
        )
        await sender.drain()
        await sender.send(TopicsDestroyed(group_id=GROUP, topic_ids=(TOPIC,)))
        await sender.drain()
        await sender.send(
            TopicInfoChanged(
                group_id=GROUP,
                topic_id=TOPIC,
                operator_account="admin",
                changed={"Name": "New", "FaceUrl": "http://x/y.png"},
            )
        )
        await sender.drain()
    finally:
        await sender.aclose()
    commands = [r["query"]["CallbackCommand"] for r in app.requests]
    assert commands == [
        "Group.CallbackAfterCreateTopic",
        "Group.CallbackAfterTopicDestroyed",
        "Group.CallbackAfterTopicInfoChanged",
    ]
    assert [r["body"] for r in app.requests] == [
        {
            "CallbackCommand": "Group.CallbackAfterCreateTopic",
            "GroupId": GROUP,
            "TopicId": TOPIC,
            "Operator_Account": "leckie",
            "Owner_Account": "owner",
            "Type": "Community",
            "Name": "TestTopic",
            "UserDefinedDataList": [],
        },
        {
            "CallbackCommand": "Group.CallbackAfterTopicDestroyed",
            "GroupId": GROUP,
            "Type": "Community",
            "TopicIdList": [TOPIC],
        },
        {
            "CallbackCommand": "Group.CallbackAfterTopicInfoChanged",
            "GroupId": GROUP,
            "TopicId": TOPIC,
            "Type": "Community",
            "Operator_Account": "admin",
            "Name": "New",
            "FaceUrl": "http://x/y.png",
        },
    ]
    # one keep-alive connection for all of them
    assert len({r["peer"] for r in app.requests}) == 1


@pytest.mark.asyncio
async def test_after_events_do_not_wait_for_a_slow_app(app: Recorder) -> None:
    app.delay = 0.3
    sender = sender_for(app.url)
    try:
        started = time.monotonic()
        await sender.send(TopicsDestroyed(group_id=GROUP, topic_ids=(TOPIC,)))
        assert app.requests == []  # handed to the background, not sent inline
        await sender.drain()
        assert len(app.requests) == 1
        assert time.monotonic() - started < 10
    finally:
        await sender.aclose()


@pytest.mark.asyncio
async def test_unsigned_without_a_token(app: Recorder) -> None:
    sender = sender_for(app.url, token=None)
    try:
        await sender.ask(CreatingTopic(group_id=GROUP, operator_account="a", topic_name="t"))
    finally:
        await sender.aclose()
    assert "Sign" not in app.requests[0]["query"]
    assert "RequestTime" not in app.requests[0]["query"]


@pytest.mark.asyncio
async def test_the_callback_urls_own_query_is_kept(app: Recorder) -> None:
    sender = sender_for(app.url + "?tenant=blue")
    try:
        await sender.ask(CreatingTopic(group_id=GROUP, operator_account="a", topic_name="t"))
    finally:
        await sender.aclose()
    assert app.requests[0]["query"]["tenant"] == "blue"
    assert app.requests[0]["query"]["SdkAppid"] == str(SDKAPPID)


@pytest.mark.asyncio
async def test_aclose_waits_for_pending_sends_then_sends_nothing(app: Recorder) -> None:
    app.delay = 0.1
    sender = sender_for(app.url)
    await sender.send(TopicsDestroyed(group_id=GROUP, topic_ids=(TOPIC,)))
    await sender.aclose()
    assert len(app.requests) == 1
    await sender.send(TopicsDestroyed(group_id=GROUP, topic_ids=(TOPIC,)))
    await asyncio.sleep(0)
    assert await sender.ask(
        CreatingTopic(group_id=GROUP, operator_account="a", topic_name="t")
    ) == (0, "")
    assert len(app.requests) == 1


def test_secrets_and_bad_arguments() -> None:
    assert TOKEN not in repr(sender_for("http://127.0.0.1:1/hook"))
    with pytest.raises(ValueError, match="url"):
        WebhookSender(url="ftp://example.com/x", sdkappid=SDKAPPID)
    with pytest.raises(ValueError, match="timeout"):
        WebhookSender(url="http://127.0.0.1:1/", sdkappid=SDKAPPID, timeout=0)
