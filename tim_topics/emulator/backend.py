"""The emulated service's state and rules: topics per group, on raw wire dicts.

Pure and in memory: each command takes the request body (a JSON object as a dict) and gives
an :class:`Outcome`, the answer dict plus the topic event the service would report to the
app's webhooks. No HTTP, no faults, no rate limit (see :mod:`.server` and :mod:`.faults`).

create and import are split into :meth:`TopicBackend.check_create` and
:meth:`TopicBackend.commit_create`, so the caller can ask the app's before-create webhook in
between; the commit checks the custom ID again, since other calls may run meanwhile.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal

import attrs

from ..models import Topic
from ..validation import COMMUNITY_PREFIX, TOPIC_MARK
from .wire_checks import ASSIGNED_MARK, Body, WireError, check_custom_topic_id, invalid

GROUP_NOT_FOUND: Final = 10010
TOPIC_ID_IN_USE_IMPORT: Final = 10021
TOPIC_ID_IN_USE_CREATE: Final = 10025
TOPICS_NOT_SUPPORTED: Final = 11000
TOPIC_DELETED: Final = 110003

ASSIGNED_ID_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
ASSIGNED_ID_LENGTH: Final = 11

#: TopicInfo keys of get_topic, in the order of the page's sample.
TOPIC_INFO_KEYS: Final = (
    "TopicName",
    "GroupID",
    "FaceUrl",
    "TopicId",
    "NextMsgSeq",
    "Notification",
    "Introduction",
    "CreateTime",
    "LastMsgTime",
    "MuteAllMember",
    "CustomString",
)
#: Keys a ResponseFilter cannot remove.
ALWAYS_IN_TOPIC_INFO: Final = frozenset({"TopicId", "GroupID"})

#: modify_topic's body key -> the profile-change webhook's key, for fields it reports.
INFO_CHANGE_FIELDS: Final[Mapping[str, str]] = {
    "TopicName": "Name",
    "Introduction": "Introduction",
    "Notification": "Notification",
    "FaceUrl": "FaceUrl",
}

SELF_INFO: Final[Mapping[str, Any]] = {"ShutUpTime": 0, "MsgSeq": 0, "MsgFlag": "AcceptAndNotify"}

Answer = dict[str, Any]


def ok_answer(error_info: str = "ok", **fields: Any) -> Answer:
    return {"ActionStatus": "OK", "ErrorInfo": error_info, "ErrorCode": 0, **fields}


def error_answer(code: int, info: str) -> Answer:
    return {"ActionStatus": "FAIL", "ErrorInfo": info, "ErrorCode": code}


@attrs.define(kw_only=True)
class StoredTopic:
    """One topic as the emulator holds it (wire values: ``MuteAllMember`` is "On"/"Off")."""

    group_id: str
    topic_id: str
    topic_name: str
    face_url: str = ""
    notification: str = ""
    introduction: str = ""
    custom_string: str = ""
    create_time: int = 0
    last_msg_time: int = 0
    next_msg_seq: int = 1
    mute_all_member: str = "Off"
    owner_account: str = ""

    def topic_info(self) -> Answer:
        """The full ``TopicInfo`` of get_topic."""
        return {
            "TopicName": self.topic_name,
            "GroupID": self.group_id,
            "FaceUrl": self.face_url,
            "TopicId": self.topic_id,
            "NextMsgSeq": self.next_msg_seq,
            "Notification": self.notification,
            "Introduction": self.introduction,
            "CreateTime": self.create_time,
            "LastMsgTime": self.last_msg_time,
            "MuteAllMember": self.mute_all_member,
            "CustomString": self.custom_string,
        }

    def to_record(self) -> Topic:
        return Topic(
            group_id=self.group_id,
            topic_id=self.topic_id,
            topic_name=self.topic_name,
            face_url=self.face_url,
            notification=self.notification,
            introduction=self.introduction,
            custom_string=self.custom_string,
            create_time=self.create_time,
            last_msg_time=self.last_msg_time,
            next_msg_seq=self.next_msg_seq,
            mute_all_member=self.mute_all_member == "On",
        )


@attrs.define
class Group:
    """A group the emulated app has: its live topics (in creation order) and the IDs of
    deleted ones."""

    group_id: str
    topics_enabled: bool
    topics: dict[str, StoredTopic] = attrs.field(factory=dict)
    deleted: set[str] = attrs.field(factory=set)


@attrs.frozen(kw_only=True)
class TopicCreated:
    group_id: str
    topic_id: str
    operator_account: str
    owner_account: str
    topic_name: str


@attrs.frozen(kw_only=True)
class TopicsDestroyed:
    group_id: str
    topic_ids: tuple[str, ...]


@attrs.frozen(kw_only=True)
class TopicInfoChanged:
    group_id: str
    topic_id: str
    operator_account: str
    changed: Mapping[str, str]
    """Webhook keys (``Name``, ``Introduction``, ``Notification``, ``FaceUrl``) -> new value."""


TopicEvent = TopicCreated | TopicsDestroyed | TopicInfoChanged


@attrs.frozen
class Outcome:
    """The answer of one command and the event it caused, if any."""

    answer: Answer
    event: TopicEvent | None = None

    @property
    def error_code(self) -> int:
        code: int = self.answer["ErrorCode"]
        return code


@attrs.frozen(kw_only=True)
class NewTopic:
    """A checked create_topic or import_topic request, ready to commit."""

    command: Literal["create_topic", "import_topic"]
    group_id: str
    topic_id: str | None
    topic_name: str
    operator_account: str
    face_url: str
    notification: str
    introduction: str
    custom_string: str
    create_time: int | None


class TopicBackend:
    """Topics of the emulated app, and the rules of the five commands."""

    def __init__(
        self,
        *,
        admin_identifier: str = "administrator",
        wall_clock: Callable[[], float] = time.time,
        id_rng: random.Random | None = None,
    ) -> None:
        self.admin_identifier = admin_identifier
        self._wall_clock = wall_clock
        self._id_rng = id_rng or random.Random()
        self._groups: dict[str, Group] = {}

    # -- state the tests and users look at -------------------------------------------------

    def add_group(self, group_id: str, *, topics: bool = True) -> None:
        """Add a group to the app: a topic-enabled community (``topics=True``), or a group
        whose topic commands are refused (11000 for a community-form ID, else 10015)."""
        if not isinstance(group_id, str) or not group_id:
            raise ValueError(f"group_id must be a non-empty str, got {group_id!r}")
        if not all(" " <= char <= "~" for char in group_id) or len(group_id) >= 48:
            raise ValueError("group_id must be printable ASCII and shorter than 48 bytes")
        if topics and (not group_id.startswith(COMMUNITY_PREFIX) or group_id == COMMUNITY_PREFIX):
            raise ValueError(
                f"group_id {group_id!r} cannot have topics: community IDs start with "
                f"{COMMUNITY_PREFIX!r} (add another kind of group with topics=False)"
            )
        existing = self._groups.get(group_id)
        if existing is not None:
            existing.topics_enabled = topics
        else:
            self._groups[group_id] = Group(group_id, topics)

    def group_ids(self) -> list[str]:
        return list(self._groups)

    def group(self, group_id: str) -> Group:
        try:
            return self._groups[group_id]
        except KeyError:
            raise KeyError(f"group {group_id!r} is not in the emulator") from None

    def topics(self, group_id: str) -> list[Topic]:
        """The live topics of ``group_id`` as records, in creation order."""
        return [topic.to_record() for topic in self.group(group_id).topics.values()]

    # -- commands --------------------------------------------------------------------------

    def handle(self, command: str, body: Mapping[str, Any]) -> Outcome:
        """Run one command without webhooks (create is checked and committed at once)."""
        if command in ("create_topic", "import_topic"):
            try:
                return self.commit_create(self.check_create(command, body))
            except WireError as exc:
                return Outcome(error_answer(exc.code, exc.info))
        handler = self._handlers.get(command)
        if handler is None:
            return Outcome(error_answer(10003, f"command {command!r} is unknown"))
        try:
            return handler(self, Body(body))
        except WireError as exc:
            return Outcome(error_answer(exc.code, exc.info))

    def check_create(self, command: str, body: Mapping[str, Any]) -> NewTopic:
        """Check a create_topic or import_topic body; raises :class:`WireError`."""
        if command not in ("create_topic", "import_topic"):
            raise ValueError(f"check_create is for create_topic and import_topic, not {command}")
        fields = Body(body)
        group_id = fields.group_id()
        topic_name = fields.string("TopicName", required=True, allow_empty=False)
        assert topic_name is not None
        topic_id = fields.string("TopicId")
        if topic_id is not None:
            check_custom_topic_id(topic_id, group_id)
        operator = fields.account() or self.admin_identifier
        texts = {key: fields.string(key) or "" for key in _OPTIONAL_TEXTS}
        create_time = None
        if command == "import_topic":
            create_time = fields.uint32("CreateTime")
            group_type = fields.string("Type")
            if group_type is not None and group_type != "Community":
                raise invalid(f"Type must be 'Community', got {group_type!r}")
        self._topic_group(group_id)
        new = NewTopic(
            command="import_topic" if command == "import_topic" else "create_topic",
            group_id=group_id,
            topic_id=topic_id,
            topic_name=topic_name,
            operator_account=operator,
            face_url=texts["FaceUrl"],
            notification=texts["Notification"],
            introduction=texts["Introduction"],
            custom_string=texts["CustomString"],
            create_time=create_time,
        )
        self._check_id_free(new)
        return new

    def commit_create(self, new: NewTopic) -> Outcome:
        """Store a checked topic; its group or custom ID may have changed since the check,
        so both are checked again."""
        try:
            group = self._topic_group(new.group_id)
            self._check_id_free(new)
        except WireError as exc:
            return Outcome(error_answer(exc.code, exc.info))
        topic_id = new.topic_id or self._assign_id(group)
        create_time = new.create_time
        if create_time is None:
            create_time = int(self._wall_clock())
        group.topics[topic_id] = StoredTopic(
            group_id=new.group_id,
            topic_id=topic_id,
            topic_name=new.topic_name,
            face_url=new.face_url,
            notification=new.notification,
            introduction=new.introduction,
            custom_string=new.custom_string,
            create_time=create_time,
            owner_account=new.operator_account,
        )
        group.deleted.discard(topic_id)
        answer = ok_answer("", TopicId=topic_id)
        if new.command == "import_topic":
            return Outcome(answer)
        event = TopicCreated(
            group_id=new.group_id,
            topic_id=topic_id,
            operator_account=new.operator_account,
            owner_account=new.operator_account,
            topic_name=new.topic_name,
        )
        return Outcome(answer, event)

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

    # -- the rules -------------------------------------------------------------------------

    def _get(self, fields: Body) -> Outcome:
        group_id = fields.group_id()
        fields.account(required=True)
        wanted = fields.string_list("TopicIdList") or None
        response_filter = fields.string_list("ResponseFilter") or None
        keys: tuple[str, ...] = TOPIC_INFO_KEYS
        if response_filter is not None:
            for name in response_filter:
                if name not in TOPIC_INFO_KEYS:
                    raise invalid(
                        f"ResponseFilter names {name!r}, which is not a topic field; "
                        f"the fields are: {', '.join(TOPIC_INFO_KEYS)}"
                    )
            chosen = ALWAYS_IN_TOPIC_INFO.union(response_filter)
            keys = tuple(key for key in TOPIC_INFO_KEYS if key in chosen)
        group = self._topic_group(group_id)
        ids = list(group.topics) if wanted is None else wanted
        items = []
        for topic_id in ids:
            topic = group.topics.get(topic_id)
            if topic is None:
                items.append(
                    {
                        "ErrorCode": TOPIC_DELETED,
                        "ErrorInfo": "topic has been deleted or does not exist",
                        "TopicInfo": {"TopicId": topic_id},
                    }
                )
                continue
            info = topic.topic_info()
            if keys is not TOPIC_INFO_KEYS:
                info = {key: info[key] for key in keys}
            items.append(
                {"ErrorCode": 0, "ErrorInfo": "ok", "SelfInfo": dict(SELF_INFO), "TopicInfo": info}
            )
        return Outcome(ok_answer("ok", TopicAndSelfInfo=items))

    def _destroy(self, fields: Body) -> Outcome:
        group_id = fields.group_id()
        topic_ids = fields.string_list("TopicIdList", required=True)
        assert topic_ids is not None
        group = self._topic_group(group_id)
        results = []
        destroyed = []
        for topic_id in topic_ids:
            if group.topics.pop(topic_id, None) is None:
                results.append(
                    {
                        "ErrorCode": TOPIC_DELETED,
                        "ErrorInfo": "topic has been deleted or does not exist",
                        "TopicId": topic_id,
                    }
                )
                continue
            group.deleted.add(topic_id)
            destroyed.append(topic_id)
            results.append({"ErrorCode": 0, "ErrorInfo": "ok", "TopicId": topic_id})
        event = (
            TopicsDestroyed(group_id=group_id, topic_ids=tuple(destroyed)) if destroyed else None
        )
        return Outcome(ok_answer("ok", DestroyResultItem=results), event)

    def _modify(self, fields: Body) -> Outcome:
        group_id = fields.group_id()
        topic_id = fields.string("TopicId", required=True, allow_empty=False)
        assert topic_id is not None
        operator = fields.account() or self.admin_identifier
        updates: dict[str, str] = {}
        name = fields.string("TopicName", allow_empty=False)
        if name is not None:
            updates["TopicName"] = name
        for key in _OPTIONAL_TEXTS:
            value = fields.string(key)
            if value is not None:
                updates[key] = value
        mute = fields.string("MuteAllMember")
        if mute is not None:
            if mute not in ("On", "Off"):
                raise invalid(f"MuteAllMember must be 'On' or 'Off', got {mute!r}")
            updates["MuteAllMember"] = mute
        group = self._topic_group(group_id)
        topic = group.topics.get(topic_id)
        if topic is None:
            raise WireError(GROUP_NOT_FOUND, "the topic has been deleted or does not exist")
        changed: dict[str, str] = {}
        for key, value in updates.items():
            attribute = _TOPIC_ATTRIBUTES[key]
            if getattr(topic, attribute) != value:
                setattr(topic, attribute, value)
                hook_key = INFO_CHANGE_FIELDS.get(key)
                if hook_key is not None:
                    changed[hook_key] = value
        event = (
            TopicInfoChanged(
                group_id=group_id, topic_id=topic_id, operator_account=operator, changed=changed
            )
            if changed
            else None
        )
        return Outcome(ok_answer("ok"), event)

    _handlers: Final[Mapping[str, Callable[[TopicBackend, Body], Outcome]]] = {
        "get_topic": _get,
        "destroy_topic": _destroy,
        "modify_topic": _modify,
    }

    # -- helpers ---------------------------------------------------------------------------

    def _topic_group(self, group_id: str) -> Group:
        group = self._groups.get(group_id)
        if group is None:
            raise WireError(GROUP_NOT_FOUND, f"group {group_id!r} does not exist or was deleted")
        if not group.topics_enabled:
            raise WireError(
                TOPICS_NOT_SUPPORTED, f"group {group_id!r} does not support community topics"
            )
        return group

    def _check_id_free(self, new: NewTopic) -> None:
        if new.topic_id is None:
            return
        if new.topic_id in self._groups[new.group_id].topics:
            code = (
                TOPIC_ID_IN_USE_IMPORT if new.command == "import_topic" else TOPIC_ID_IN_USE_CREATE
            )
            raise WireError(code, f"topic ID {new.topic_id!r} is already in use")

    def _assign_id(self, group: Group) -> str:
        prefix = group.group_id + TOPIC_MARK + ASSIGNED_MARK + "c"
        while True:
            suffix = "".join(self._id_rng.choices(ASSIGNED_ID_ALPHABET, k=ASSIGNED_ID_LENGTH))
            topic_id = prefix + suffix
            if topic_id not in group.topics and topic_id not in group.deleted:
                return topic_id


_OPTIONAL_TEXTS: Final = ("FaceUrl", "Notification", "Introduction", "CustomString")

_TOPIC_ATTRIBUTES: Final[Mapping[str, str]] = {
    "TopicName": "topic_name",
    "FaceUrl": "face_url",
    "Notification": "notification",
    "Introduction": "introduction",
    "CustomString": "custom_string",
    "MuteAllMember": "mute_all_member",
}
