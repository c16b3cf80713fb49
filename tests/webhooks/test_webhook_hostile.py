"""The router answers every request within its budget whatever the handlers do, and
answers 400 (never 500) to every body it cannot use; over real loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from support.constants import SDKAPPID
from support.scripted import serving

from tim_topics.webhooks import (
    AfterCreateTopic,
    BeforeCreateTopic,
    Refuse,
    UnknownWebhook,
    WebhookRouter,
    parse_webhook,
    webhook_sign,
)
from tim_topics.webhooks.errors import WebhookParseError
from tim_topics.webhooks.parsing import MAX_BODY_DEPTH

TOKEN = "hostile-test-token-81c2"
NOW = 1700000000
BUDGET = 0.3
BEFORE = {
    "CallbackCommand": "Group.CallbackBeforeCreateTopic",
    "Operator_Account": "leckie",
    "Type": "Community",
    "Name": "TestTopic",
}
AFTER_CREATE = {
    "CallbackCommand": "Group.CallbackAfterCreateTopic",
    "Operator_Account": "leckie",
    "GroupId": "@TGS#_g",
    "TopicId": "@TGS#_g@TOPIC#_t",
    "Type": "Community",
}
ALLOW = {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}
#: Far longer than any budget: a handler sleeping this long must never hold the answer.
LONG = 30.0


def signed_query(command: str) -> dict[str, str]:
    return {
        "SdkAppid": str(SDKAPPID),
        "CallbackCommand": command,
        "contenttype": "json",
        "ClientIP": "127.0.0.1",
        "OptPlatform": "RESTAPI",
        "RequestTime": str(NOW),
        "Sign": webhook_sign(TOKEN, NOW),
    }


class Served:
    """A router in a real aiohttp app on loopback, and a way to post to it."""

    def __init__(self, router: WebhookRouter, url: str, session: aiohttp.ClientSession) -> None:
        self.router = router
        self.url = url
        self.session = session

    async def post(self, command: str, body: bytes) -> tuple[int, Any, float]:
        """Status, decoded answer and seconds until the answer came."""
        started = time.monotonic()
        async with self.session.post(self.url, params=signed_query(command), data=body) as resp:
            assert resp.content_type == "application/json"
            answer = await resp.json()
        return resp.status, answer, time.monotonic() - started

    async def post_json(self, body: dict[str, Any]) -> tuple[int, Any, float]:
        return await self.post(body["CallbackCommand"], json.dumps(body).encode())


@pytest_asyncio.fixture
async def served() -> AsyncIterator[tuple[Served, web.AppRunner]]:
    router = WebhookRouter(SDKAPPID, TOKEN, handler_timeout=BUDGET, clock=lambda: NOW)
    app = web.Application()
    app.router.add_post("/tim/callback", router.handle)
    app.on_cleanup.append(router.on_cleanup)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            yield Served(router, f"http://127.0.0.1:{port}/tim/callback", session), runner
    finally:
        await runner.cleanup()
    assert router.pending == 0  # nothing left behind


async def until(condition: Callable[[], bool], limit: float = 20) -> None:
    async def poll() -> None:
        while not condition():  # noqa: ASYNC110 - the condition is the router's state
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), limit)


# --- bodies it cannot use: 400 --------------------------------------------------------


def nested(depth: int) -> bytes:
    """A signed-looking before-create body whose ``Name`` nests ``depth`` arrays."""
    head = json.dumps(BEFORE)[:-1]
    return f'{head}, "Extra": {"[" * depth}{"]" * depth}}}'.encode()


@pytest.mark.asyncio
@pytest.mark.parametrize("depth", [MAX_BODY_DEPTH + 1, 900, 100_000])
async def test_deeply_nested_json_is_400(served: tuple[Served, web.AppRunner], depth: int) -> None:
    server, _ = served
    called: list[object] = []
    server.router.add_handler(BeforeCreateTopic, lambda event: _record(called, event))
    for command in (BEFORE["CallbackCommand"], "Group.CallbackBeforeSomethingNew"):
        status, answer, _ = await server.post(command, nested(depth))
        assert status == 400, answer
        assert answer["ActionStatus"] == "FAIL" and "nests deeper" in answer["ErrorInfo"]
    assert called == []


async def _record(seen: list[object], event: object) -> None:
    seen.append(event)


@pytest.mark.asyncio
async def test_a_body_nesting_within_the_limit_is_handled(
    served: tuple[Served, web.AppRunner],
) -> None:
    server, _ = served
    seen: list[UnknownWebhook] = []
    server.router.add_handler(UnknownWebhook, lambda event: _record(seen, event))
    body = {"CallbackCommand": "Group.CallbackAfterNew", "Deep": json.loads(nested(20))}
    status, answer, _ = await server.post_json(body)
    assert (status, answer) == (200, ALLOW)
    assert len(seen) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe not utf-8 \x80",
        b'{"CallbackCommand": "Group.CallbackBeforeCreateTopic", "Name": ' + b"9" * 5000 + b"}",
        b"[" * 100_000,  # not even finished
        b"",
        b"null",
        b'{"CallbackCommand": "Group.CallbackBeforeCreateTopic", "Name": NaN}',
    ],
)
async def test_unusable_bodies_are_400(served: tuple[Served, web.AppRunner], body: bytes) -> None:
    server, _ = served
    status, answer, _ = await server.post(BEFORE["CallbackCommand"], body)
    assert status == 400, answer
    assert answer["ActionStatus"] == "FAIL"


@pytest.mark.asyncio
async def test_a_body_too_large_for_the_server_is_400(
    served: tuple[Served, web.AppRunner],
) -> None:
    server, _ = served
    body = json.dumps({**BEFORE, "Name": "x" * (3 * 1024 * 1024)}).encode()
    status, answer, _ = await server.post(BEFORE["CallbackCommand"], body)
    assert status == 400 and answer["ActionStatus"] == "FAIL"


def test_a_deep_or_cyclic_mapping_body_is_a_parse_error() -> None:
    deep: dict[str, Any] = {"CallbackCommand": "Group.CallbackAfterNew"}
    cursor = deep
    for _ in range(5000):
        cursor["x"] = {}
        cursor = cursor["x"]
    cyclic: dict[str, Any] = {"CallbackCommand": "Group.CallbackAfterNew"}
    cyclic["self"] = cyclic
    for body in (deep, cyclic):
        with pytest.raises(WebhookParseError, match="nests deeper"):
            parse_webhook(signed_query("Group.CallbackAfterNew"), body)


# --- whatever the handler does, an answer within the budget ---------------------------


@pytest.mark.asyncio
async def test_a_handler_raising_cancelled_error_is_answered(
    served: tuple[Served, web.AppRunner], caplog: pytest.LogCaptureFixture
) -> None:
    server, _ = served

    @server.router.on(BeforeCreateTopic)
    async def awaits_a_cancelled_task(event: BeforeCreateTopic) -> Refuse:
        other = asyncio.ensure_future(asyncio.sleep(LONG))
        other.cancel()
        await other  # raises CancelledError in the handler
        return Refuse()

    @server.router.on(BeforeCreateTopic)
    async def strict(event: BeforeCreateTopic) -> Refuse:
        return Refuse(code=10123, info="later handlers still run")

    with caplog.at_level(logging.ERROR, logger="tim_topics.webhooks"):
        status, answer, _ = await server.post_json(BEFORE)
    assert status == 200 and answer["ErrorCode"] == 10123
    assert "awaits_a_cancelled_task" in caplog.text


class Unusual(BaseException):
    """Not an Exception: what a careless library might raise."""


@pytest.mark.asyncio
@pytest.mark.parametrize("raised", [asyncio.CancelledError, Unusual, RuntimeError, KeyError])
async def test_a_handler_raising_anything_is_answered_allow(
    served: tuple[Served, web.AppRunner], raised: type[BaseException]
) -> None:
    server, _ = served

    @server.router.on(BeforeCreateTopic)
    async def broken(event: BeforeCreateTopic) -> Refuse:
        raise raised("boom")

    status, answer, _ = await server.post_json(BEFORE)
    assert (status, answer) == (200, ALLOW)


@pytest.mark.asyncio
async def test_a_hanging_handler_is_cancelled_and_answered_allow(
    served: tuple[Served, web.AppRunner],
) -> None:
    server, _ = served
    outcome: list[str] = []

    @server.router.on(BeforeCreateTopic)
    async def hangs(event: BeforeCreateTopic) -> Refuse:
        try:
            await asyncio.sleep(LONG)
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        return Refuse()

    status, answer, took = await server.post_json(BEFORE)
    assert (status, answer) == (200, ALLOW)
    assert took < LONG / 2  # the handler's sleep did not hold the answer
    assert outcome == ["cancelled"]
    assert server.router.pending == 0


@pytest.mark.asyncio
async def test_a_clean_up_that_awaits_does_not_hold_the_answer(
    served: tuple[Served, web.AppRunner], caplog: pytest.LogCaptureFixture
) -> None:
    server, _ = served
    audit: list[str] = []
    release = asyncio.Event()

    @server.router.on(AfterCreateTopic)
    async def audited(event: AfterCreateTopic) -> None:
        try:
            await asyncio.sleep(LONG)
        finally:
            await release.wait()  # writes an audit row, slowly
            audit.append(event.topic_id or "")

    with caplog.at_level(logging.WARNING, logger="tim_topics.webhooks"):
        status, answer, took = await server.post_json(AFTER_CREATE)
    assert (status, answer) == (200, ALLOW)
    assert took < LONG / 2
    assert "background" in caplog.text
    assert server.router.pending == 1 and audit == []  # still cleaning up
    release.set()
    await until(lambda: server.router.pending == 0)
    assert audit == ["@TGS#_g@TOPIC#_t"]  # it finished, in the background


@pytest.mark.asyncio
async def test_a_handler_that_will_not_stop_is_ended_when_the_app_stops(
    served: tuple[Served, web.AppRunner],
) -> None:
    server, runner = served
    cancellations: list[str] = []

    @server.router.on(AfterCreateTopic)
    async def stubborn(event: AfterCreateTopic) -> None:
        try:
            await asyncio.sleep(LONG)
        except asyncio.CancelledError:
            cancellations.append("first")  # swallowed: keeps going
        try:
            await asyncio.sleep(LONG)
        except asyncio.CancelledError:
            cancellations.append("at shutdown")
            raise

    @server.router.on(AfterCreateTopic)
    async def later(event: AfterCreateTopic) -> None:
        cancellations.append("later handler called")  # must not be: the run was cancelled

    status, answer, took = await server.post_json(AFTER_CREATE)
    assert (status, answer, took < LONG / 2) == (200, ALLOW, True)
    assert server.router.pending == 1
    await server.session.close()
    await runner.cleanup()  # on_cleanup: the router cancels and awaits what is left
    assert cancellations == ["first", "at shutdown"]
    assert server.router.pending == 0


def test_no_task_is_left_pending_after_the_app_stops() -> None:
    """In a loop of its own, as an app runs it: no task outlives the cleanup."""

    async def main() -> tuple[int, list[asyncio.Task[Any]]]:
        router = WebhookRouter(SDKAPPID, TOKEN, handler_timeout=BUDGET, clock=lambda: NOW)

        @router.on(AfterCreateTopic)
        async def slow_clean_up(event: AfterCreateTopic) -> None:
            try:
                await asyncio.sleep(LONG)
            finally:
                await asyncio.sleep(LONG)

        app = web.Application()
        app.router.add_post("/tim/callback", router.handle)
        app.on_cleanup.append(router.on_cleanup)
        async with serving(app) as base, aiohttp.ClientSession() as session:
            query = signed_query(AFTER_CREATE["CallbackCommand"])
            async with session.post(
                f"{base}/tim/callback", params=query, json=AFTER_CREATE
            ) as response:
                status = response.status
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return status, left

    status, left = asyncio.run(main())
    assert status == 200
    assert left == []
