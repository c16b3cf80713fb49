"""The responses layer (moto's ``responses.py``): request body in, answer out.

One command table (:data:`HANDLERS`) says, per command, how to read its body into the
backend method's arguments, which backend method to call, and how to render what it
returned as the service's answer. :class:`TopicResponses` runs a command through it, with
the app's webhooks (:meth:`~TopicResponses.respond`, the server's path) or without
(:meth:`~TopicResponses.handle`, for tests and seeding). Nothing else in the emulator
dispatches on the command.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

import attrs

from ..models import Topic
from . import spec
from .backend import Destroyed, Group, StoredTopic, TopicBackend
from .errors import ServiceError
from .events import CreatingTopic, TopicCreated, TopicEvent, TopicInfoChanged
from .hooks import TopicEventSink, webhook_verdict
from .wire_checks import Body, check_custom_topic_id, invalid

Answer = dict[str, Any]
T = TypeVar("T")

#: The optional text fields of create, import and modify: wire key -> argument name.
OPTIONAL_TEXTS: Final[Mapping[str, str]] = {
    "FaceUrl": "face_url",
    "Notification": "notification",
    "Introduction": "introduction",
    "CustomString": "custom_string",
}

_MUTE_VALUES: Final = {"On": True, "Off": False}

#: Items of a long answer rendered (and encoded, see :func:`encode_answer`) per turn of the
#: service's event loop. A get_topic of a whole group of 6,000 topics took 50-90 ms to
#: render and encode in one go; the service's rate windows then counted the arrivals of
#: that time late and together with the next ones (up to 206 in a second from a client
#: whose own log of writes never had more than 199 in one). A real service has CPUs of its
#: own for that work.
ITEMS_PER_TURN: Final = 250


def ok_answer(error_info: str = "ok", **fields: Any) -> Answer:
    return {"ActionStatus": "OK", "ErrorInfo": error_info, "ErrorCode": 0, **fields}


def error_answer(code: int, info: str) -> Answer:
    return {"ActionStatus": "FAIL", "ErrorInfo": info, "ErrorCode": code}


@attrs.frozen
class Outcome:
    """The answer of one command and the event it caused, if any."""

    answer: Answer
    event: TopicEvent | None = None

    @property
    def error_code(self) -> int:
        code: int = self.answer["ErrorCode"]
        return code


# -- reading bodies ----------------------------------------------------------------------------


def _new_topic(fields: Body, *, imported: bool) -> dict[str, Any]:
    group_id = fields.group_id()
    arguments: dict[str, Any] = {
        "group_id": group_id,
        "topic_name": fields.string("TopicName", required=True, allow_empty=False),
    }
    topic_id = fields.string("TopicId")
    if topic_id is not None:
        arguments["topic_id"] = check_custom_topic_id(topic_id, group_id)
    arguments["operator_account"] = fields.account()
    for key, name in OPTIONAL_TEXTS.items():
        arguments[name] = fields.string(key) or ""
    if imported:
        arguments["create_time"] = fields.uint32("CreateTime")
        group_type = fields.string("Type")
        if group_type is not None and group_type != "Community":
            raise invalid(f"Type must be 'Community', got {group_type!r}")
    return arguments


def _read_create(fields: Body) -> dict[str, Any]:
    return _new_topic(fields, imported=False)


def _read_import(fields: Body) -> dict[str, Any]:
    return _new_topic(fields, imported=True)


def _read_get(fields: Body) -> dict[str, Any]:
    group_id = fields.group_id()
    fields.account(required=True)
    wanted = fields.string_list("TopicIdList") or None
    response_filter = fields.string_list("ResponseFilter") or None
    keys: tuple[str, ...] = spec.TOPIC_INFO_KEYS
    if response_filter is not None:
        for name in response_filter:
            if name not in spec.TOPIC_INFO_KEYS:
                raise invalid(
                    f"ResponseFilter names {name!r}, which is not a topic field; "
                    f"the fields are: {', '.join(spec.TOPIC_INFO_KEYS)}"
                )
        chosen = spec.ALWAYS_IN_TOPIC_INFO.union(response_filter)
        keys = tuple(key for key in spec.TOPIC_INFO_KEYS if key in chosen)
    return {"group_id": group_id, "topic_ids": wanted, "_keys": keys}


def _read_destroy(fields: Body) -> dict[str, Any]:
    group_id = fields.group_id()
    return {"group_id": group_id, "topic_ids": fields.string_list("TopicIdList", required=True)}


def _read_modify(fields: Body) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "group_id": fields.group_id(),
        "topic_id": fields.string("TopicId", required=True, allow_empty=False),
        "operator_account": fields.account(),
        "topic_name": fields.string("TopicName", allow_empty=False),
    }
    for key, name in OPTIONAL_TEXTS.items():
        arguments[name] = fields.string(key)
    mute = fields.string("MuteAllMember")
    if mute is not None and mute not in _MUTE_VALUES:
        raise invalid(f"MuteAllMember must be 'On' or 'Off', got {mute!r}")
    arguments["mute_all_member"] = None if mute is None else _MUTE_VALUES[mute]
    return arguments


# -- rendering answers -------------------------------------------------------------------------


def topic_info(topic: StoredTopic, keys: tuple[str, ...] = spec.TOPIC_INFO_KEYS) -> Answer:
    """get_topic's ``TopicInfo`` of ``topic``, limited to ``keys`` (in the page's order)."""
    full = {
        "TopicName": topic.topic_name,
        "GroupID": topic.group_id,
        "FaceUrl": topic.face_url,
        "TopicId": topic.topic_id,
        "NextMsgSeq": topic.next_msg_seq,
        "Notification": topic.notification,
        "Introduction": topic.introduction,
        "CreateTime": topic.create_time,
        "LastMsgTime": topic.last_msg_time,
        "MuteAllMember": "On" if topic.mute_all_member else "Off",
        "CustomString": topic.custom_string,
    }
    return full if keys is spec.TOPIC_INFO_KEYS else {key: full[key] for key in keys}


def _deleted_item(topic_id: str, key: str, value: Any) -> Answer:
    return {
        "ErrorCode": spec.TOPIC_DELETED,
        "ErrorInfo": "topic has been deleted or does not exist",
        key: value,
    }


def _render_created(event: TopicCreated, _: dict[str, Any]) -> Outcome:
    return Outcome(ok_answer("", TopicId=event.topic_id), event)


def _render_imported(topic_id: str, _: dict[str, Any]) -> Outcome:
    return Outcome(ok_answer("", TopicId=topic_id))


def _got_items(
    found: Sequence[tuple[str, StoredTopic | None]], request: dict[str, Any]
) -> list[Answer]:
    return [
        _deleted_item(topic_id, "TopicInfo", {"TopicId": topic_id})
        if topic is None
        else {
            "ErrorCode": 0,
            "ErrorInfo": "ok",
            "SelfInfo": dict(spec.SELF_INFO),
            "TopicInfo": topic_info(topic, request["_keys"]),
        }
        for topic_id, topic in found
    ]


def _render_got(found: list[tuple[str, StoredTopic | None]], request: dict[str, Any]) -> Outcome:
    return Outcome(ok_answer("ok", TopicAndSelfInfo=_got_items(found, request)))


async def _in_turns(items: Sequence[T]) -> AsyncIterator[Sequence[T]]:
    """``items`` a slice of :data:`ITEMS_PER_TURN` at a time, each in a turn of the event
    loop of its own."""
    for start in range(0, len(items), ITEMS_PER_TURN):
        await asyncio.sleep(0)
        yield items[start : start + ITEMS_PER_TURN]


async def _render_got_in_turns(
    found: list[tuple[str, StoredTopic | None]], request: dict[str, Any]
) -> Outcome:
    """:func:`_render_got`, :data:`ITEMS_PER_TURN` topics per turn of the event loop (each
    topic as it is when its turn comes: a topic is never rendered half before and half
    after a change)."""
    items: list[Answer] = []
    async for part in _in_turns(found):
        items.extend(_got_items(part, request))
    return Outcome(ok_answer("ok", TopicAndSelfInfo=items))


async def encode_answer(answer: Mapping[str, Any]) -> bytes:
    """``json.dumps(answer, ensure_ascii=False)`` as UTF-8, the same bytes, with a long list
    in it encoded :data:`ITEMS_PER_TURN` items per turn of the event loop."""
    if not any(isinstance(v, list) and len(v) > ITEMS_PER_TURN for v in answer.values()):
        return json.dumps(answer, ensure_ascii=False).encode("utf-8")
    fields = []
    for key, value in answer.items():
        name = json.dumps(key, ensure_ascii=False)
        if isinstance(value, list) and len(value) > ITEMS_PER_TURN:
            parts = [json.dumps(part, ensure_ascii=False)[1:-1] async for part in _in_turns(value)]
            fields.append(f"{name}: [{', '.join(parts)}]")
        else:
            fields.append(f"{name}: {json.dumps(value, ensure_ascii=False)}")
    return ("{" + ", ".join(fields) + "}").encode("utf-8")


def _render_destroyed(destroyed: Destroyed, _: dict[str, Any]) -> Outcome:
    items = [
        {"ErrorCode": 0, "ErrorInfo": "ok", "TopicId": topic_id}
        if removed
        else _deleted_item(topic_id, "TopicId", topic_id)
        for topic_id, removed in destroyed.results
    ]
    return Outcome(ok_answer("ok", DestroyResultItem=items), destroyed.event)


def _render_modified(event: TopicInfoChanged | None, _: dict[str, Any]) -> Outcome:
    return Outcome(ok_answer("ok"), event)


# -- the command table -------------------------------------------------------------------------


@attrs.frozen
class Handler:
    """How one command is served: ``read`` turns the body into the keyword arguments of the
    backend method ``call`` (names starting with ``_`` are for ``render`` only), ``render``
    turns what the method returned into the answer. ``asks_webhook``: the app's
    before-create webhook is asked between the checks and the call."""

    read: Callable[[Body], dict[str, Any]]
    call: Callable[..., Any]
    render: Callable[[Any, dict[str, Any]], Outcome]
    asks_webhook: bool = False
    render_in_turns: Callable[[Any, dict[str, Any]], Awaitable[Outcome]] | None = None
    """``render`` for the server, when an answer may be long enough to hold the service's
    event loop (see :data:`ITEMS_PER_TURN`)."""


HANDLERS: Final[Mapping[str, Handler]] = {
    "create_topic": Handler(
        _read_create, TopicBackend.create_topic, _render_created, asks_webhook=True
    ),
    "destroy_topic": Handler(_read_destroy, TopicBackend.destroy_topic, _render_destroyed),
    "get_topic": Handler(
        _read_get, TopicBackend.get_topic, _render_got, render_in_turns=_render_got_in_turns
    ),
    "modify_topic": Handler(_read_modify, TopicBackend.modify_topic, _render_modified),
    "import_topic": Handler(_read_import, TopicBackend.import_topic, _render_imported),
}


class TopicResponses:
    """Serves raw request bodies from a :class:`TopicBackend`.

    Besides :meth:`respond` (what the server calls), it has one method per command that
    takes a body dict and gives an :class:`Outcome` without HTTP and without webhooks, e.g.
    ``emu.backend.import_topic({"GroupId": ..., "TopicName": ...})`` to seed topics; the
    state's own methods (``add_group``, ``topics``, ``group_ids``, ``group``) are passed on.
    """

    def __init__(self, backend: TopicBackend) -> None:
        self.backend = backend

    def add_group(self, group_id: str, *, topics: bool = True) -> None:
        self.backend.add_group(group_id, topics=topics)

    def group_ids(self) -> list[str]:
        return self.backend.group_ids()

    def group(self, group_id: str) -> Group:
        return self.backend.group(group_id)

    def topics(self, group_id: str) -> list[Topic]:
        return self.backend.topics(group_id)

    def handle(self, command: str, body: Mapping[str, Any]) -> Outcome:
        """Run one command without webhooks."""
        handler = HANDLERS.get(command)
        if handler is None:
            return Outcome(error_answer(spec.INVALID_COMMAND, f"command {command!r} is unknown"))
        try:
            request = handler.read(Body(body))
            return self._call(handler, request)
        except ServiceError as exc:
            return Outcome(error_answer(exc.code, exc.info))

    async def respond(self, command: str, raw: bytes, sink: TopicEventSink) -> Outcome:
        """Run one command from its raw body, asking and telling the app's webhooks."""
        try:
            body = json.loads(raw)
        except ValueError:
            return Outcome(error_answer(spec.JSON_PARSE_ERROR, "request body is not valid JSON"))
        if not isinstance(body, dict):
            return Outcome(
                error_answer(spec.JSON_PARSE_ERROR, "request body must be a JSON object")
            )
        handler = HANDLERS[command]
        try:
            request = handler.read(Body(body))
            if handler.asks_webhook:
                verdict = await webhook_verdict(sink, self._question(request))
                if verdict is not None:
                    return Outcome(error_answer(*verdict))
            result = handler.call(self.backend, **_arguments(request))
            if handler.render_in_turns is not None:
                outcome = await handler.render_in_turns(result, request)
            else:
                outcome = handler.render(result, request)
        except ServiceError as exc:
            return Outcome(error_answer(exc.code, exc.info))
        if outcome.event is not None:
            await sink.send(outcome.event)
        return outcome

    def create_topic(self, body: Mapping[str, Any]) -> Outcome:
        return self.handle("create_topic", body)

    def import_topic(self, body: Mapping[str, Any]) -> Outcome:
        return self.handle("import_topic", body)

    def get_topic(self, body: Mapping[str, Any]) -> Outcome:
        return self.handle("get_topic", body)

    def modify_topic(self, body: Mapping[str, Any]) -> Outcome:
        return self.handle("modify_topic", body)

    def destroy_topic(self, body: Mapping[str, Any]) -> Outcome:
        return self.handle("destroy_topic", body)

    def _call(self, handler: Handler, request: dict[str, Any]) -> Outcome:
        return handler.render(handler.call(self.backend, **_arguments(request)), request)

    def _question(self, request: dict[str, Any]) -> CreatingTopic:
        """The checks before the before-create webhook, and its question."""
        self.backend.check_create(group_id=request["group_id"], topic_id=request.get("topic_id"))
        return self.backend.before_create(
            group_id=request["group_id"],
            topic_name=request["topic_name"],
            operator_account=request["operator_account"],
        )


def _arguments(request: dict[str, Any]) -> dict[str, Any]:
    """The backend method's keyword arguments of a read request (``_`` names are render's)."""
    return {key: value for key, value in request.items() if not key.startswith("_")}
