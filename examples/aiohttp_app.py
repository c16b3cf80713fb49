"""An aiohttp.web app that owns one shared TopicClient and receives the topic webhooks.

Install: ``pip install tim-topics`` (aiohttp comes with it).

Try it with no account, against an embedded emulator that also sends its webhooks here::

    python examples/aiohttp_app.py --emulator          # serves http://127.0.0.1:8080
    curl -X POST 'http://127.0.0.1:8080/groups/@TGS%23_@TGS%23cQVLVHIM62CJ/topics' \\
        -H 'content-type: application/json' -d '{"topic_name": "general"}'

Against the service, configure it the way the ``tim-topics`` command is configured::

    export TIM_SDKAPPID=1400000000 TIM_SECRET_KEY=...   # or TIM_USERSIG=...
    export TIM_REGION=singapore                         # or TIM_BASE_URL=http://127.0.0.1:9000
    export TIM_IDENTIFIER=administrator TIM_WEBHOOK_TOKEN=...   # both optional
    python examples/aiohttp_app.py --port 8080

- A ``cleanup_ctx`` makes ONE ``TopicClient`` when the app starts and closes it when it
  stops; handlers get it as ``request.app[CLIENT]``.
- Group and topic IDs go in the path percent-encoded: ``#`` is ``%23``.
- A middleware turns the library's errors into HTTP statuses (:func:`error_answer`): 422
  bad input, 404 gone, 409 ID in use, 429 over the rate limit, 504 when a create's
  outcome is unknown.
- ``POST /tim/callback`` is the library's ``WebhookRouter.handle``.

**Access log.** aiohttp's access log prints each request line with its query string, and
the webhook's query carries ``Sign`` and ``RequestTime`` (a logged ``Sign`` can be replayed
for 60 s): the app is served with ``access_log=None`` (:func:`make_runner`, ``run_app``).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import attrs
from aiohttp import web

from tim_topics import (
    AlreadyExistsError,
    ApiError,
    ClientClosedError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    TimTopicsError,
    TopicClient,
    TransportError,
    ValidationError,
    WebhookRejectedError,
)
from tim_topics.emulator import Emulator
from tim_topics.webhooks import AfterCreateTopic, BeforeCreateTopic, Refuse, WebhookRouter

logger = logging.getLogger("aiohttp_app")

DEMO_APP, DEMO_KEY, DEMO_TOKEN = 1400000000, "demo-secret-key", "demo-webhook-token"
DEMO_GROUP = "@TGS#_@TGS#cQVLVHIM62CJ"
CREATE_FIELDS = frozenset(
    {"topic_name", "topic_id", "introduction", "notification", "face_url", "custom_string"}
)
MODIFY_FIELDS = (CREATE_FIELDS - {"topic_id"}) | {"mute_all_member"}


@dataclass(frozen=True)
class Settings:
    """Who the app calls the API as, and where; the same variables as ``tim-topics``."""

    sdkappid: int
    secret_key: str | None = field(default=None, repr=False)
    usersig: str | None = field(default=None, repr=False)
    identifier: str = "administrator"
    region: str = "china"
    base_url: str | None = None
    webhook_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        def value(name: str) -> str | None:
            return environ.get(name, "").strip() or None

        appid = value("TIM_SDKAPPID")
        if appid is None or not appid.isdigit():
            raise RuntimeError("TIM_SDKAPPID must be set to the app's SDKAppID")
        return cls(
            sdkappid=int(appid),
            secret_key=value("TIM_SECRET_KEY"),
            usersig=value("TIM_USERSIG"),
            identifier=value("TIM_IDENTIFIER") or "administrator",
            region=value("TIM_REGION") or "china",
            base_url=value("TIM_BASE_URL"),
            webhook_token=value("TIM_WEBHOOK_TOKEN"),
        )


SETTINGS = web.AppKey("settings", Settings)
CLIENT = web.AppKey("client", TopicClient)


# -- the library's errors as HTTP answers --------------------------------------------------


def error_answer(exc: TimTopicsError) -> web.Response:
    """The HTTP answer for an error of tim_topics (checked most specific first)."""
    if isinstance(exc, ValidationError):  # bad input, nothing was sent
        return _error(422, "invalid", str(exc), field=exc.field)
    if isinstance(exc, NotFoundError):
        return _error(404, "not_found", str(exc))
    if isinstance(exc, AlreadyExistsError):
        return _error(409, "exists", str(exc))
    if isinstance(exc, WebhookRejectedError):  # our own BeforeCreateTopic handler said no
        return _error(422, "refused", exc.info, code=exc.code)
    if isinstance(exc, RateLimitedError):  # still over the limit after the client's retries
        answer = _error(429, "rate_limited", str(exc))
        answer.headers["Retry-After"] = "1"
        return answer
    if isinstance(exc, OutcomeUnknownError):  # a create without custom ID: sent, no answer
        return _error(
            504,
            "outcome_unknown",
            "the outcome is unknown: the topic may or may not have been created; "
            "list the group's topics before creating it again",
        )
    if isinstance(exc, (TransportError, ApiError)):  # the service failed or refused
        return _error(502, "upstream", str(exc))
    if isinstance(exc, ClientClosedError):  # shutting down
        return _error(503, "unavailable", str(exc))
    return _error(500, "internal", type(exc).__name__)


def _error(status: int, error: str, detail: str, **extra: Any) -> web.Response:
    return web.json_response({"error": error, "detail": detail, **extra}, status=status)


@web.middleware
async def tim_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except TimTopicsError as exc:
        return error_answer(exc)


# -- CRUD endpoints ------------------------------------------------------------------------

routes = web.RouteTableDef()


async def json_fields(request: web.Request, allowed: frozenset[str]) -> dict[str, Any]:
    """The request's JSON object; 400 if it is not one, 422 for keys not in ``allowed``."""
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="the body must be JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise web.HTTPUnprocessableEntity(text=f"unknown fields: {', '.join(unknown)}")
    return body


@routes.post("/groups/{group_id}/topics")
async def create_topic(request: web.Request) -> web.Response:
    new = await json_fields(request, CREATE_FIELDS)
    group_id = request.match_info["group_id"]
    topic_id = await request.app[CLIENT].create_topic(group_id, **new)
    return web.json_response({"topic_id": topic_id}, status=201)


@routes.get("/groups/{group_id}/topics")
async def list_topics(request: web.Request) -> web.Response:
    results = await request.app[CLIENT].get_topic(request.match_info["group_id"])
    return web.json_response([attrs.asdict(r.topic) for r in results if r.topic is not None])


async def read_topic(client: TopicClient, group_id: str, topic_id: str) -> dict[str, Any]:
    [result] = await client.get_topic(group_id, topic_ids=[topic_id])
    if result.topic is None or not result.ok:  # per-topic code, e.g. 110003: deleted
        raise NotFoundError(result.error_code, result.error_info, "get_topic")
    return attrs.asdict(result.topic)


@routes.get("/groups/{group_id}/topics/{topic_id}")
async def get_topic(request: web.Request) -> web.Response:
    group_id, topic_id = request.match_info["group_id"], request.match_info["topic_id"]
    return web.json_response(await read_topic(request.app[CLIENT], group_id, topic_id))


@routes.patch("/groups/{group_id}/topics/{topic_id}")
async def modify_topic(request: web.Request) -> web.Response:
    changes = await json_fields(request, MODIFY_FIELDS)
    group_id, topic_id = request.match_info["group_id"], request.match_info["topic_id"]
    await request.app[CLIENT].modify_topic(group_id, topic_id, **changes)
    return web.json_response(await read_topic(request.app[CLIENT], group_id, topic_id))


@routes.delete("/groups/{group_id}/topics/{topic_id}")
async def delete_topic(request: web.Request) -> web.Response:
    group_id, topic_id = request.match_info["group_id"], request.match_info["topic_id"]
    [result] = await request.app[CLIENT].destroy_topic(group_id, [topic_id])
    if not result.ok:  # 110003: already deleted
        raise NotFoundError(result.error_code, result.error_info, "destroy_topic")
    return web.Response(status=204)


# -- webhooks ------------------------------------------------------------------------------


def webhook_router(settings: Settings) -> WebhookRouter:
    """The app's webhook handlers. Keep them short: the service waits 2 s at most."""
    router = WebhookRouter(settings.sdkappid, settings.webhook_token)

    @router.on(BeforeCreateTopic)
    async def no_drafts(event: BeforeCreateTopic) -> Refuse | None:
        if (event.topic_name or "").startswith("draft"):
            return Refuse(code=10150, info="no drafts here")
        return None  # None counts as Allow

    @router.on(AfterCreateTopic)
    async def created(event: AfterCreateTopic) -> None:
        logger.info("topic %s created in %s", event.topic_id, event.group_id)

    return router


# -- the app -------------------------------------------------------------------------------


async def open_client(app: web.Application) -> AsyncIterator[None]:
    """ONE client for the whole app, open while it runs."""
    settings = app[SETTINGS]
    async with TopicClient(
        settings.sdkappid,
        settings.identifier,
        settings.secret_key,
        usersig=settings.usersig,
        region=settings.region,
        base_url=settings.base_url,
    ) as client:
        app[CLIENT] = client
        yield


def create_app(settings: Settings | None = None) -> web.Application:
    """The app; ``settings`` None reads them from the environment."""
    settings = settings or Settings.from_env()
    router = webhook_router(settings)
    app = web.Application(middlewares=[tim_errors])
    app[SETTINGS] = settings
    app.cleanup_ctx.append(open_client)
    app.router.add_routes(routes)
    app.router.add_post("/tim/callback", router.handle)
    app.on_cleanup.append(router.on_cleanup)  # ends webhook handlers still cleaning up
    return app


def demo_app(host: str, port: int) -> web.Application:
    """The app against an embedded emulator that sends its webhooks to the app."""

    async def run_emulator(app: web.Application) -> AsyncIterator[None]:
        async with Emulator(
            sdkappid=DEMO_APP,
            secret_key=DEMO_KEY,
            groups=[DEMO_GROUP],
            webhook_url=f"http://{host}:{port}/tim/callback",
            webhook_token=DEMO_TOKEN,
        ) as emu:
            app[SETTINGS] = dataclasses.replace(app[SETTINGS], base_url=emu.url)
            print(f"Emulator on {emu.url}, group {DEMO_GROUP}", flush=True)
            yield

    app = create_app(Settings(sdkappid=DEMO_APP, secret_key=DEMO_KEY, webhook_token=DEMO_TOKEN))
    app.cleanup_ctx.insert(0, run_emulator)  # before the client: it needs the emulator's URL
    return app


def make_runner(app: web.Application) -> web.AppRunner:
    """A runner for a TCPSite; access_log=None: an access line would print each Sign."""
    return web.AppRunner(app, access_log=None)


def main() -> None:
    parser = argparse.ArgumentParser(description="An aiohttp app for community topics.")
    parser.add_argument("--emulator", action="store_true", help="call an embedded emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    app = demo_app(args.host, args.port) if args.emulator else create_app()
    # access_log=None: the access log would print each webhook's Sign (a 60 s credential)
    web.run_app(app, host=args.host, port=args.port, access_log=None)


if __name__ == "__main__":
    main()
