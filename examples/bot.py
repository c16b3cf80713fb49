"""A bot that keeps topic names lower case and welcomes every new topic.

Install: ``pip install tim-topics`` (aiohttp comes with it).

Try it with no account: ``python examples/bot.py --emulator`` starts the bot, an embedded
emulator that sends its webhooks to the bot, plays a few calls and prints what happens::

    refused: 10101 topic names must be lower case
    created @TGS#_...@TOPIC#_@TOPIC#c... (general) by administrator
    changed @TGS#_...: name=None notice=Welcome! Be kind.
    notice: Welcome! Be kind.
    deleted @TGS#_...

Against the service (set the console's callback URL to ``http://HOST:8080/tim/callback``)::

    export TIM_SDKAPPID=1400000000 TIM_SECRET_KEY=... TIM_WEBHOOK_TOKEN=...
    export TIM_REGION=singapore          # or TIM_BASE_URL=http://127.0.0.1:9000 (an emulator)
    python examples/bot.py --port 8080

The bot is one asyncio program: its webhook server, its client and its own background work
share one event loop. Webhook handlers answer at once (the service waits 2 s) and leave the
slow work, an API call, to a task. The server runs with ``access_log=None``: an access line
would print each webhook's ``Sign``, which can be replayed for 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from aiohttp import web

from tim_topics import TopicClient, WebhookRejectedError
from tim_topics.emulator import Emulator
from tim_topics.webhooks import (
    AfterCreateTopic,
    AfterTopicDestroyed,
    AfterTopicInfoChanged,
    BeforeCreateTopic,
    Refuse,
    WebhookRouter,
)

DEMO_APP, DEMO_KEY, DEMO_TOKEN = 1400000000, "demo-secret-key", "demo-webhook-token"
DEMO_GROUP = "@TGS#_@TGS#cQVLVHIM62CJ"
NOTICE = "Welcome! Be kind."


class Bot:
    """The bot's webhook handlers; ``client`` is set before the first webhook comes."""

    def __init__(self, sdkappid: int, token: str | None) -> None:
        self.client: TopicClient | None = None
        self.router = WebhookRouter(sdkappid, token)
        self.router.add_handler(BeforeCreateTopic, self.lower_case_only)
        self.router.add_handler(AfterCreateTopic, self.welcome)
        self.router.add_handler(AfterTopicInfoChanged, self.changed)
        self.router.add_handler(AfterTopicDestroyed, self.destroyed)
        self.background: set[asyncio.Task[None]] = set()

    async def lower_case_only(self, event: BeforeCreateTopic) -> Refuse | None:
        if event.topic_name != (event.topic_name or "").lower():
            return Refuse(code=10101, info="topic names must be lower case")
        return None

    async def welcome(self, event: AfterCreateTopic) -> None:
        print(f"created {event.topic_id} ({event.topic_name}) by {event.operator_account}")
        # answer the webhook at once; the API call goes on in a task of its own
        task = asyncio.create_task(self.post_notice(event.group_id, event.topic_id))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def post_notice(self, group_id: str | None, topic_id: str | None) -> None:
        if self.client is not None and group_id and topic_id:
            await self.client.modify_topic(group_id, topic_id, notification=NOTICE)

    async def changed(self, event: AfterTopicInfoChanged) -> None:
        print(f"changed {event.topic_id}: name={event.topic_name} notice={event.notification}")

    async def destroyed(self, event: AfterTopicDestroyed) -> None:
        print(f"deleted {', '.join(event.topic_id_list)}")

    async def serve(self, host: str, port: int) -> web.AppRunner:
        """Serve the webhooks on ``host:port`` (0: a free port); the runner to clean up."""
        app = web.Application()
        app.router.add_post("/tim/callback", self.router.handle)
        app.on_cleanup.append(self.router.on_cleanup)
        runner = web.AppRunner(app, access_log=None)  # an access line would print the Sign
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        return runner


async def run(host: str, port: int) -> None:
    """The bot against the service (or an emulator): until Ctrl-C."""
    bot = Bot(int(os.environ["TIM_SDKAPPID"]), os.environ.get("TIM_WEBHOOK_TOKEN"))
    async with TopicClient(
        int(os.environ["TIM_SDKAPPID"]),
        os.environ.get("TIM_IDENTIFIER", "administrator"),
        os.environ.get("TIM_SECRET_KEY"),
        usersig=os.environ.get("TIM_USERSIG"),
        region=os.environ.get("TIM_REGION", "china"),
        base_url=os.environ.get("TIM_BASE_URL"),
    ) as client:
        bot.client = client
        runner = await bot.serve(host, port)
        print(f"bot listening on http://{host}:{port}/tim/callback", flush=True)
        try:
            await asyncio.Event().wait()  # the bot's own work would go here
        finally:
            await runner.cleanup()


async def demo() -> None:
    """The bot, an embedded emulator sending it webhooks, and a few calls."""
    bot = Bot(DEMO_APP, DEMO_TOKEN)
    runner = await bot.serve("127.0.0.1", 0)
    host, port = runner.addresses[0][:2]
    try:
        async with (
            Emulator(
                sdkappid=DEMO_APP,
                secret_key=DEMO_KEY,
                groups=[DEMO_GROUP],
                webhook_url=f"http://{host}:{port}/tim/callback",
                webhook_token=DEMO_TOKEN,
            ) as emu,
            TopicClient(DEMO_APP, "administrator", DEMO_KEY, base_url=emu.url) as client,
        ):
            bot.client = client
            try:
                await client.create_topic(DEMO_GROUP, "Shouting")
            except WebhookRejectedError as refused:
                print("refused:", refused.code, refused.info)
            topic_id = await client.create_topic(DEMO_GROUP, "general")
            for _ in range(200):  # the bot posts its notice in the background
                [result] = await client.get_topic(DEMO_GROUP, topic_ids=[topic_id])
                if result.topic is not None and result.topic.notification:
                    break
                await asyncio.sleep(0.05)
            print("notice:", result.topic.notification if result.topic else None)
            await client.destroy_topic(DEMO_GROUP, [topic_id])
        # leaving the emulator waited for its webhooks still on their way to the bot
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description="A bot for community topics.")
    parser.add_argument("--emulator", action="store_true", help="a demo against an emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    try:
        asyncio.run(demo() if args.emulator else run(args.host, args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
