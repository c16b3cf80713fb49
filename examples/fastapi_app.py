"""A FastAPI app that owns one shared TopicClient and receives the topic webhooks.

Install: ``pip install tim-topics fastapi uvicorn`` (from a checkout: ``pip install -e '.[test]'``).

Try it with no account, against an embedded emulator that also sends its webhooks here::

    python examples/fastapi_app.py --emulator          # serves http://127.0.0.1:8000
    curl -X POST 'http://127.0.0.1:8000/groups/@TGS%23_@TGS%23cQVLVHIM62CJ/topics' \\
        -H 'content-type: application/json' -d '{"topic_name": "general"}'

Against the service, configure it the way the ``tim-topics`` command is configured::

    export TIM_SDKAPPID=1400000000 TIM_SECRET_KEY=...   # or TIM_USERSIG=...
    export TIM_REGION=singapore                         # or TIM_BASE_URL=http://127.0.0.1:9000
    export TIM_IDENTIFIER=administrator TIM_WEBHOOK_TOKEN=...   # both optional
    python examples/fastapi_app.py --port 8000
    # or: uvicorn fastapi_app:app --app-dir examples --no-access-log

- The lifespan makes ONE ``TopicClient`` for the whole app (one connection pool, one rate
  limit per command) and closes it on shutdown; endpoints get it from ``app.state``.
- Group and topic IDs go in the path percent-encoded: ``#`` is ``%23``.
- The library's errors become HTTP statuses (:func:`error_answer`): 422 bad input, 404
  gone, 409 ID in use, 429 over the rate limit, 504 when a create's outcome is unknown.
- ``POST /tim/callback`` is the console's callback URL: ``WebhookRouter.dispatch`` checks
  ``Sign``/``RequestTime``, parses the event and runs the handlers within the 2 s budget.

**Access log.** uvicorn's default access log prints every request line *with its query
string*, and the webhook's query carries ``Sign`` and ``RequestTime``: a logged ``Sign``
can be replayed for 60 s. So :func:`server_config` turns the access log off
(``access_log=False``; ``--no-access-log`` on uvicorn's command line), or, with
``--access-log``, keeps it with :class:`DropQueryString`, which logs paths without queries.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from uvicorn.config import LOGGING_CONFIG

from tim_topics import (
    AlreadyExistsError,
    ApiError,
    ClientClosedError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    Topic,
    TopicClient,
    TransportError,
    ValidationError,
    WebhookRejectedError,
)
from tim_topics.emulator import Emulator
from tim_topics.webhooks import (
    AfterCreateTopic,
    AfterTopicDestroyed,
    BeforeCreateTopic,
    Refuse,
    WebhookRouter,
)

logger = logging.getLogger("fastapi_app")

DEMO_APP, DEMO_KEY, DEMO_TOKEN = 1400000000, "demo-secret-key", "demo-webhook-token"
DEMO_GROUP = "@TGS#_@TGS#cQVLVHIM62CJ"


# -- configuration -------------------------------------------------------------------------


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

    def client(self) -> TopicClient:
        return TopicClient(
            self.sdkappid,
            self.identifier,
            self.secret_key,
            usersig=self.usersig,
            region=self.region,
            base_url=self.base_url,
        )


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

    @router.on(AfterTopicDestroyed)
    async def destroyed(event: AfterTopicDestroyed) -> None:
        logger.info("topics %s deleted", ", ".join(event.topic_id_list))

    return router


# -- the library's errors as HTTP answers --------------------------------------------------


def error_answer(exc: Exception) -> JSONResponse:
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
    raise exc


def _error(status: int, error: str, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail, **extra}, status_code=status)


async def tim_error_handler(request: Request, exc: Exception) -> Response:
    return error_answer(exc)


# -- the app -------------------------------------------------------------------------------


class NewTopic(BaseModel):
    topic_name: str
    topic_id: str | None = None
    introduction: str | None = None
    notification: str | None = None
    face_url: str | None = None
    custom_string: str | None = None


class TopicChanges(BaseModel):
    topic_name: str | None = None
    introduction: str | None = None
    notification: str | None = None
    face_url: str | None = None
    custom_string: str | None = None
    mute_all_member: bool | None = None


class TopicOut(BaseModel):
    group_id: str | None
    topic_id: str | None
    topic_name: str | None = None
    introduction: str | None = None
    notification: str | None = None
    face_url: str | None = None
    custom_string: str | None = None
    create_time: int | None = None
    mute_all_member: bool | None = None

    @classmethod
    def of(cls, topic: Topic) -> TopicOut:
        return cls(
            group_id=topic.group_id,
            topic_id=topic.topic_id,
            topic_name=topic.topic_name,
            introduction=topic.introduction,
            notification=topic.notification,
            face_url=topic.face_url,
            custom_string=topic.custom_string,
            create_time=topic.create_time,
            mute_all_member=topic.mute_all_member,
        )


class Created(BaseModel):
    topic_id: str


def shared_client(request: Request) -> TopicClient:
    client: TopicClient = request.app.state.client
    return client


Client = Annotated[TopicClient, Depends(shared_client)]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; ``settings`` None reads them from the environment at startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        config = settings or Settings.from_env()
        router = webhook_router(config)
        async with config.client() as client:  # closed when the app stops
            app.state.client = client
            app.state.webhooks = router
            try:
                yield
            finally:
                await router.aclose()  # ends webhook handlers still cleaning up

    app = FastAPI(title="topics", lifespan=lifespan)
    app.add_exception_handler(ValidationError, tim_error_handler)
    app.add_exception_handler(ApiError, tim_error_handler)
    app.add_exception_handler(TransportError, tim_error_handler)
    app.add_exception_handler(ClientClosedError, tim_error_handler)

    @app.post("/groups/{group_id}/topics", status_code=201)
    async def create_topic(group_id: str, new: NewTopic, client: Client) -> Created:
        topic_id = await client.create_topic(group_id, **new.model_dump())
        return Created(topic_id=topic_id)

    @app.get("/groups/{group_id}/topics")
    async def list_topics(group_id: str, client: Client) -> list[TopicOut]:
        results = await client.get_topic(group_id)
        return [TopicOut.of(result.topic) for result in results if result.topic is not None]

    @app.get("/groups/{group_id}/topics/{topic_id}")
    async def get_topic(group_id: str, topic_id: str, client: Client) -> TopicOut:
        [result] = await client.get_topic(group_id, topic_ids=[topic_id])
        if result.topic is None or not result.ok:  # per-topic code, e.g. 110003: deleted
            raise NotFoundError(result.error_code, result.error_info, "get_topic")
        return TopicOut.of(result.topic)

    @app.patch("/groups/{group_id}/topics/{topic_id}")
    async def modify_topic(
        group_id: str, topic_id: str, changes: TopicChanges, client: Client
    ) -> TopicOut:
        await client.modify_topic(group_id, topic_id, **changes.model_dump(exclude_none=True))
        return await get_topic(group_id, topic_id, client)

    @app.delete("/groups/{group_id}/topics/{topic_id}", status_code=204)
    async def delete_topic(group_id: str, topic_id: str, client: Client) -> Response:
        [result] = await client.destroy_topic(group_id, [topic_id])
        if not result.ok:  # 110003: already deleted
            raise NotFoundError(result.error_code, result.error_info, "destroy_topic")
        return Response(status_code=204)

    @app.post("/tim/callback")
    async def tim_callback(request: Request) -> JSONResponse:
        router: WebhookRouter = request.app.state.webhooks
        status, answer = await router.dispatch(request.query_params, await request.body())
        return JSONResponse(answer, status_code=status)

    return app


app = create_app()  # for ``uvicorn fastapi_app:app``: settings from the environment


# -- serving -------------------------------------------------------------------------------


class DropQueryString(logging.Filter):
    """Logs uvicorn's access lines without the query string (it holds the webhook's Sign)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, its access lines without query strings."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"drop_query": {"()": DropQueryString}}
    config["handlers"]["access"]["filters"] = ["drop_query"]
    return config


def server_config(
    app: FastAPI, host: str = "127.0.0.1", port: int = 8000, *, access_log: bool = False
) -> uvicorn.Config:
    """uvicorn's configuration: no access log (the default here), or one that logs paths
    without their query strings (``access_log=True``)."""
    return uvicorn.Config(app, host=host, port=port, access_log=access_log, log_config=log_config())


async def serve_with_emulator(host: str, port: int, *, access_log: bool) -> None:
    """Serve the app against an emulator that sends its webhooks to the app."""
    async with Emulator(
        sdkappid=DEMO_APP,
        secret_key=DEMO_KEY,
        groups=[DEMO_GROUP],
        webhook_url=f"http://{host}:{port}/tim/callback",
        webhook_token=DEMO_TOKEN,
    ) as emu:
        settings = Settings(
            sdkappid=DEMO_APP, secret_key=DEMO_KEY, base_url=emu.url, webhook_token=DEMO_TOKEN
        )
        print(f"Emulator on {emu.url}, group {DEMO_GROUP}", flush=True)
        server = uvicorn.Server(
            server_config(create_app(settings), host, port, access_log=access_log)
        )
        await server.serve()


def main() -> None:
    parser = argparse.ArgumentParser(description="A FastAPI app for community topics.")
    parser.add_argument("--emulator", action="store_true", help="call an embedded emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--access-log", action="store_true", help="log requests (without query strings)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    try:
        if args.emulator:
            asyncio.run(serve_with_emulator(args.host, args.port, access_log=args.access_log))
        else:
            # access_log=False: the default access log would print each webhook's Sign
            config = server_config(app, args.host, args.port, access_log=args.access_log)
            uvicorn.Server(config).run()
    except KeyboardInterrupt:  # uvicorn stopped cleanly, then passed Ctrl-C on
        pass


if __name__ == "__main__":
    main()
