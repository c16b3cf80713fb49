"""WebhookRouter: verdicts, handler order, budget, failures, authentication, HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from support.constants import SDKAPPID
from support.scripted import serving

from tim_topics.webhooks import (
    AfterCreateTopic,
    AfterTopicDestroyed,
    Allow,
    BeforeCreateTopic,
    Refuse,
    UnknownWebhook,
    WebhookEvent,
    WebhookRouter,
    webhook_sign,
)

TOKEN = "router-test-token-5f3a"
NOW = 1700000000
ALLOW = {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}
BEFORE = {
    "CallbackCommand": "Group.CallbackBeforeCreateTopic",
    "Operator_Account": "leckie",
    "Type": "Community",
    "Name": "TestTopic",
}
AFTER_DESTROYED = {
    "CallbackCommand": "Group.CallbackAfterTopicDestroyed",
    "GroupId": "@TGS#_g",
    "Type": "Community",
    "TopicIdList": ["@TGS#_g@TOPIC#_t"],
}


def make_router(**kwargs: Any) -> WebhookRouter:
    kwargs.setdefault("token", TOKEN)
    return WebhookRouter(SDKAPPID, clock=lambda: NOW, **kwargs)


def query(body: dict[str, Any], *, request_time: int = NOW, **extra: str) -> dict[str, str]:
    """The query the service would send for ``body``, signed for ``request_time``."""
    return {
        "SdkAppid": str(SDKAPPID),
        "CallbackCommand": body["CallbackCommand"],
        "contenttype": "json",
        "ClientIP": "127.0.0.1",
        "OptPlatform": "RESTAPI",
        "RequestTime": str(request_time),
        "Sign": webhook_sign(TOKEN, request_time),
        **extra,
    }


async def send(router: WebhookRouter, body: dict[str, Any], **extra: Any) -> tuple[int, Any]:
    return await router.dispatch(query(body, **extra), json.dumps(body).encode())


@pytest.mark.asyncio
async def test_no_handler_allows() -> None:
    assert await send(make_router(), BEFORE) == (200, ALLOW)


@pytest.mark.asyncio
async def test_allow_and_the_event_reaches_the_handler() -> None:
    router = make_router()
    seen: list[BeforeCreateTopic] = []

    @router.on(BeforeCreateTopic)
    async def check(event: BeforeCreateTopic) -> Allow:
        seen.append(event)
        return Allow()

    assert await send(router, BEFORE) == (200, ALLOW)
    assert [(e.topic_name, e.operator_account, e.sdkappid) for e in seen] == [
        ("TestTopic", "leckie", SDKAPPID)
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("verdict", "code", "info"),
    [
        (Refuse(), 1, ""),
        (Refuse(info="no"), 1, "no"),
        (Refuse(code=10100, info="names must be lower case"), 10100, "names must be lower case"),
        (Refuse(code=10200, info="full"), 10200, "full"),
    ],
)
async def test_refuse_answers(verdict: Refuse, code: int, info: str) -> None:
    router = make_router()

    @router.on(BeforeCreateTopic)
    async def check(event: BeforeCreateTopic) -> Refuse:
        return verdict

    assert await send(router, BEFORE) == (
        200,
        {"ActionStatus": "OK", "ErrorCode": code, "ErrorInfo": info},
    )


@pytest.mark.parametrize("code", [0, 2, 10016, 10099, 10201, True])
def test_refuse_codes_outside_the_documented_range_are_value_errors(code: int) -> None:
    with pytest.raises(ValueError, match=r"10100\.\.10200"):
        Refuse(code=code)


@pytest.mark.asyncio
async def test_first_refusal_decides_and_stops_the_chain() -> None:
    router = make_router()
    calls: list[str] = []

    @router.on(BeforeCreateTopic)
    async def first(event: BeforeCreateTopic) -> Allow:
        calls.append("first")
        return Allow()

    @router.on(BeforeCreateTopic)
    async def second(event: BeforeCreateTopic) -> Refuse:
        calls.append("second")
        return Refuse(code=10150, info="second says no")

    @router.on(BeforeCreateTopic)
    async def third(event: BeforeCreateTopic) -> Refuse:
        calls.append("third")
        return Refuse(code=10160)

    status, answer = await send(router, BEFORE)
    assert (status, answer["ErrorCode"], answer["ErrorInfo"]) == (200, 10150, "second says no")
    assert calls == ["first", "second"]


@pytest.mark.asyncio
async def test_after_event_handlers_all_run_and_their_results_are_ignored() -> None:
    router = make_router()
    calls: list[str] = []

    @router.on(AfterTopicDestroyed)
    async def one(event: AfterTopicDestroyed) -> Refuse:
        calls.append("one:" + event.topic_id_list[0])
        return Refuse(code=10150)

    @router.on(AfterTopicDestroyed)
    async def two(event: AfterTopicDestroyed) -> None:
        calls.append("two")

    assert await send(router, AFTER_DESTROYED) == (200, ALLOW)
    assert calls == ["one:@TGS#_g@TOPIC#_t", "two"]


@pytest.mark.asyncio
async def test_handlers_only_get_their_event_type() -> None:
    router = make_router()
    seen: list[str] = []

    @router.on(AfterCreateTopic)
    async def created(event: AfterCreateTopic) -> None:
        seen.append("created")

    @router.on(UnknownWebhook)
    async def unknown(event: UnknownWebhook) -> None:
        seen.append(event.command)

    await send(router, BEFORE)
    await send(router, {"CallbackCommand": "Group.CallbackAfterNewThing", "X": 1})
    assert seen == ["Group.CallbackAfterNewThing"]


@pytest.mark.asyncio
async def test_a_handler_for_webhook_event_gets_every_event_after_the_specific_ones() -> None:
    router = make_router()
    seen: list[str] = []

    @router.on(WebhookEvent)
    async def every(event: WebhookEvent) -> None:
        seen.append("every:" + type(event).__name__)

    @router.on(AfterTopicDestroyed)
    async def destroyed(event: AfterTopicDestroyed) -> None:
        seen.append("destroyed")

    await send(router, AFTER_DESTROYED)
    await send(router, BEFORE)
    assert seen == ["destroyed", "every:AfterTopicDestroyed", "every:BeforeCreateTopic"]


@pytest.mark.asyncio
async def test_unknown_before_command_can_be_refused() -> None:
    router = make_router()

    @router.on(UnknownWebhook)
    async def unknown(event: UnknownWebhook) -> Refuse:
        return Refuse(code=10111, info="no")

    before = await send(router, {"CallbackCommand": "Group.CallbackBeforeNewThing"})
    assert before[1]["ErrorCode"] == 10111
    after = await send(router, {"CallbackCommand": "Group.CallbackAfterNewThing"})
    assert after == (200, ALLOW)


@pytest.mark.asyncio
async def test_slow_handler_is_cancelled_and_answered_allow(
    caplog: pytest.LogCaptureFixture,
) -> None:
    router = make_router(handler_timeout=0.05)
    outcome: list[str] = []

    @router.on(BeforeCreateTopic)
    async def slow(event: BeforeCreateTopic) -> Refuse:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        return Refuse()

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="tim_topics.webhooks"):
        assert await send(router, BEFORE) == (200, ALLOW)
    assert time.monotonic() - started < 10  # did not hang
    assert outcome == ["cancelled"]
    assert "Group.CallbackBeforeCreateTopic" in caplog.text
    assert TOKEN not in caplog.text


@pytest.mark.asyncio
async def test_raising_handler_is_logged_and_answered_allow(
    caplog: pytest.LogCaptureFixture,
) -> None:
    router = make_router()

    @router.on(BeforeCreateTopic)
    async def broken(event: BeforeCreateTopic) -> Refuse:
        raise RuntimeError("database is down")

    with caplog.at_level(logging.ERROR, logger="tim_topics.webhooks"):
        status, answer = await send(router, BEFORE)
    assert (status, answer) == (200, ALLOW)
    assert "database is down" in caplog.text
    assert "Group.CallbackBeforeCreateTopic" in caplog.text


@pytest.mark.asyncio
async def test_a_raising_handler_does_not_hide_a_later_refusal() -> None:
    router = make_router()

    @router.on(BeforeCreateTopic)
    async def broken(event: BeforeCreateTopic) -> Allow:
        raise KeyError("boom")

    @router.on(BeforeCreateTopic)
    async def strict(event: BeforeCreateTopic) -> Refuse:
        return Refuse()

    assert (await send(router, BEFORE))[1]["ErrorCode"] == 1


@pytest.mark.asyncio
async def test_a_handler_returning_something_else_counts_as_allow() -> None:
    router = make_router()

    @router.on(BeforeCreateTopic)
    async def odd(event: BeforeCreateTopic) -> Any:
        return "refuse please"

    assert await send(router, BEFORE) == (200, ALLOW)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"Sign": webhook_sign("wrong-token", NOW)}, 401),
        ({"Sign": ""}, 401),
        ({"RequestTime": str(NOW - 61)}, 401),
        ({"SdkAppid": "1400000001"}, 403),
    ],
)
async def test_unauthentic_requests_never_reach_a_handler(
    change: dict[str, str], status: int, caplog: pytest.LogCaptureFixture
) -> None:
    router = make_router()
    called: list[object] = []

    @router.on(BeforeCreateTopic)
    async def check(event: BeforeCreateTopic) -> Refuse:
        called.append(event)
        return Refuse()

    with caplog.at_level(logging.DEBUG, logger="tim_topics.webhooks"):
        got, answer = await router.dispatch({**query(BEFORE), **change}, json.dumps(BEFORE))
    assert got == status and answer["ActionStatus"] == "FAIL"
    assert called == []
    assert TOKEN not in caplog.text and TOKEN not in json.dumps(answer)


@pytest.mark.asyncio
async def test_stale_signed_request_is_refused() -> None:
    router = make_router()
    status, _ = await send(router, BEFORE, request_time=NOW - 3600)
    assert status == 401


@pytest.mark.asyncio
@pytest.mark.parametrize("missing", ["Sign", "RequestTime"])
async def test_missing_signature_is_refused(missing: str) -> None:
    q = query(BEFORE)
    del q[missing]
    status, _ = await make_router().dispatch(q, json.dumps(BEFORE))
    assert status == 401


@pytest.mark.asyncio
async def test_router_without_token_accepts_unsigned_requests() -> None:
    router = make_router(token=None)
    q = {"SdkAppid": str(SDKAPPID), "CallbackCommand": BEFORE["CallbackCommand"]}
    assert await router.dispatch(q, json.dumps(BEFORE)) == (200, ALLOW)


@pytest.mark.asyncio
async def test_unreadable_body_is_400_without_calling_a_handler() -> None:
    router = make_router()
    called: list[object] = []

    @router.on(BeforeCreateTopic)
    async def check(event: BeforeCreateTopic) -> None:
        called.append(event)

    status, answer = await router.dispatch(query(BEFORE), json.dumps({**BEFORE, "Name": 7}))
    assert status == 400 and "Name" in answer["ErrorInfo"]
    status, _ = await router.dispatch(query(BEFORE), b"not json")
    assert status == 400
    assert called == []


def test_bad_router_arguments() -> None:
    with pytest.raises(ValueError, match="handler_timeout"):
        WebhookRouter(SDKAPPID, handler_timeout=0)
    with pytest.raises(TypeError, match="event_type"):
        WebhookRouter(SDKAPPID).add_handler(dict, print)  # type: ignore[type-var, arg-type]
    assert TOKEN not in repr(WebhookRouter(SDKAPPID, TOKEN))


@pytest_asyncio.fixture
async def served() -> AsyncIterator[tuple[WebhookRouter, str]]:
    """A router mounted in a real aiohttp app on a loopback port."""
    router = make_router(handler_timeout=0.2)
    app = web.Application()
    app.router.add_post("/tim/callback", router.handle)
    async with serving(app) as url:
        yield router, f"{url}/tim/callback"


@pytest.mark.asyncio
async def test_over_http(served: tuple[WebhookRouter, str]) -> None:
    router, url = served

    @router.on(BeforeCreateTopic)
    async def check(event: BeforeCreateTopic) -> Allow | Refuse:
        if event.topic_name != (event.topic_name or "").lower():
            return Refuse(code=10101, info="names must be lower case")
        return Allow()

    @router.on(AfterTopicDestroyed)
    async def hang(event: AfterTopicDestroyed) -> None:
        await asyncio.sleep(30)

    @router.on(AfterCreateTopic)
    async def broken(event: AfterCreateTopic) -> None:
        raise ValueError("bug in the app")

    async with aiohttp.ClientSession() as session:

        async def post(body: dict[str, Any], **extra: str) -> tuple[int, Any]:
            params = {**query(body), **extra}
            async with session.post(url, params=params, json=body) as response:
                assert response.content_type == "application/json"
                return response.status, await response.json()

        status, answer = await post(BEFORE)
        assert (status, answer["ErrorCode"]) == (200, 10101)
        assert await post({**BEFORE, "Name": "lower"}) == (200, ALLOW)
        assert await post(AFTER_DESTROYED) == (200, ALLOW)
        created = {"CallbackCommand": "Group.CallbackAfterCreateTopic", "GroupId": "@TGS#_g"}
        status, answer = await post(created)
        assert (status, answer) == (200, ALLOW)
        assert (await post(BEFORE, SdkAppid="42"))[0] == 403
        assert (await post(BEFORE, Sign="0" * 64))[0] == 401
