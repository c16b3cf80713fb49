"""The emulator sends topic webhooks to an aiohttp app with a WebhookRouter; the client
sees the app's verdicts. Everything over real loopback HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import attrs
import pytest
import pytest_asyncio
from aiohttp import web
from support.constants import GROUP, SDKAPPID
from support.scripted import serving

from tim_topics import WebhookRejectedError
from tim_topics.client import TopicClient
from tim_topics.emulator import Emulator
from tim_topics.webhooks import (
    AfterCreateTopic,
    AfterTopicDestroyed,
    AfterTopicInfoChanged,
    Allow,
    BeforeCreateTopic,
    Refuse,
    WebhookEvent,
    WebhookRouter,
)

KEY = "e2e-secret-key-0123456789abcdef"
TOKEN = "e2e-webhook-token"
WAIT = 5.0  # generous: only proves "was delivered", never a timing claim


@attrs.define
class Bot:
    """The app: refuses upper-case topic names, records every event it gets."""

    router: WebhookRouter
    events: asyncio.Queue[WebhookEvent] = attrs.field(factory=asyncio.Queue)
    url: str = ""

    async def next(self) -> WebhookEvent:
        return await asyncio.wait_for(self.events.get(), WAIT)

    def install(self) -> None:
        @self.router.on(BeforeCreateTopic)
        async def check(event: BeforeCreateTopic) -> Allow | Refuse:
            await self.events.put(event)
            name = event.topic_name or ""
            if name.startswith("forbidden"):
                return Refuse()
            if name != name.lower():
                return Refuse(code=10101, info="names must be lower case")
            return Allow()

        for event_type in (AfterCreateTopic, AfterTopicDestroyed, AfterTopicInfoChanged):
            self.router.add_handler(event_type, self.events.put)


@contextlib.asynccontextmanager
async def serve(router: WebhookRouter) -> AsyncIterator[str]:
    """``router`` mounted at ``/tim/callback`` on a loopback port; yields its URL."""
    app = web.Application()
    app.router.add_post("/tim/callback", router.handle)
    async with serving(app, shutdown_timeout=0.1) as url:
        yield f"{url}/tim/callback"


@pytest_asyncio.fixture
async def bot() -> AsyncIterator[Bot]:
    bot = Bot(WebhookRouter(SDKAPPID, TOKEN))
    bot.install()
    async with serve(bot.router) as bot.url:
        yield bot


@pytest_asyncio.fixture
async def client(bot: Bot) -> AsyncIterator[tuple[TopicClient, Emulator]]:
    async with (
        Emulator(
            sdkappid=SDKAPPID,
            secret_key=KEY,
            groups=[GROUP],
            webhook_url=bot.url,
            webhook_token=TOKEN,
        ) as emu,
        TopicClient(SDKAPPID, "administrator", secret_key=KEY, base_url=emu.url) as client,
    ):
        yield client, emu


@pytest.mark.asyncio
async def test_allowed_create_sends_before_then_after(
    bot: Bot, client: tuple[TopicClient, Emulator]
) -> None:
    api, emu = client
    topic_id = await api.create_topic(GROUP, "welcome")
    before = await bot.next()
    assert isinstance(before, BeforeCreateTopic)
    assert (before.topic_name, before.operator_account, before.group_type) == (
        "welcome",
        "administrator",
        "Community",
    )
    assert (before.sdkappid, before.opt_platform) == (SDKAPPID, "RESTAPI")
    assert before.request_time is not None
    after = await bot.next()
    assert isinstance(after, AfterCreateTopic)
    assert (after.group_id, after.topic_id, after.topic_name) == (GROUP, topic_id, "welcome")
    assert after.user_defined_data == []
    assert [t.topic_id for t in emu.topics(GROUP)] == [topic_id]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("name", "code", "info"),
    [("Shouting", 10101, "names must be lower case"), ("forbidden-topic", 10016, None)],
)
async def test_refused_create_returns_the_code_and_makes_no_topic(
    bot: Bot, client: tuple[TopicClient, Emulator], name: str, code: int, info: str | None
) -> None:
    api, emu = client
    with pytest.raises(WebhookRejectedError) as caught:
        await api.create_topic(GROUP, name)
    assert caught.value.code == code
    if info is not None:
        assert caught.value.info == info
    assert emu.topics(GROUP) == []
    assert isinstance(await bot.next(), BeforeCreateTopic)
    await asyncio.sleep(0.2)  # an after-create would have arrived by now
    assert bot.events.empty()


@pytest.mark.asyncio
async def test_destroy_modify_and_import(bot: Bot, client: tuple[TopicClient, Emulator]) -> None:
    api, emu = client
    topic_id = await api.create_topic(GROUP, "news")
    assert isinstance(await bot.next(), BeforeCreateTopic)
    assert isinstance(await bot.next(), AfterCreateTopic)

    await api.modify_topic(GROUP, topic_id, custom_string="no webhook for this")
    await api.modify_topic(GROUP, topic_id, topic_name="daily-news", notification="read me")
    changed = await bot.next()
    assert isinstance(changed, AfterTopicInfoChanged)
    assert (changed.group_id, changed.topic_id) == (GROUP, topic_id)
    assert (changed.topic_name, changed.notification) == ("daily-news", "read me")
    assert changed.introduction is None and changed.face_url is None

    await api.import_topic(GROUP, "Imported Upper Case", topic_id=GROUP + "@TOPIC#_imported")
    assert {t.topic_name for t in emu.topics(GROUP)} == {"daily-news", "Imported Upper Case"}

    results = await api.destroy_topic(GROUP, [topic_id])
    assert [r.ok for r in results] == [True]
    destroyed = await bot.next()
    assert isinstance(destroyed, AfterTopicDestroyed)
    assert (destroyed.group_id, destroyed.topic_id_list) == (GROUP, [topic_id])
    await asyncio.sleep(0.2)
    assert bot.events.empty()  # the import sent nothing


@pytest.mark.asyncio
async def test_wrong_token_is_refused_by_the_app_and_the_service_allows(bot: Bot) -> None:
    async with (
        Emulator(
            sdkappid=SDKAPPID,
            secret_key=KEY,
            groups=[GROUP],
            webhook_url=bot.url,
            webhook_token="not-the-apps-token",
        ) as emu,
        TopicClient(SDKAPPID, "administrator", secret_key=KEY, base_url=emu.url) as api,
    ):
        await api.create_topic(GROUP, "UPPER")  # the 401 counts as a failed webhook: allowed
        assert [t.topic_name for t in emu.topics(GROUP)] == ["UPPER"]
    assert bot.events.empty()  # no handler was called


@pytest.mark.asyncio
async def test_unreachable_or_slow_app_does_not_break_the_call() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    slow = WebhookRouter(SDKAPPID, handler_timeout=0.1)

    @slow.on(BeforeCreateTopic)
    async def ponder(event: BeforeCreateTopic) -> Refuse:
        await asyncio.sleep(30)
        return Refuse()

    async with serve(slow) as slow_url:
        for url in (f"http://127.0.0.1:{closed_port}/tim/callback", slow_url):
            async with (
                Emulator(sdkappid=SDKAPPID, secret_key=KEY, groups=[GROUP], webhook_url=url) as emu,
                TopicClient(SDKAPPID, "administrator", secret_key=KEY, base_url=emu.url) as api,
            ):
                topic_id = await api.create_topic(GROUP, "still-made")
                await api.destroy_topic(GROUP, [topic_id])
                assert emu.topics(GROUP) == []
