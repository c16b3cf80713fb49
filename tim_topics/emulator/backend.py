"""The emulated service's state and rules: topics per group, one typed method per command.

Pure and in memory, like a moto backend: no HTTP, no JSON, no faults, no rate limit. Each
command is a method with keyword arguments that returns what the command produced (and the
topic event the service would report to the app's webhooks) or raises
:class:`~tim_topics.emulator.errors.ServiceError` with the wire code. Reading request
bodies and rendering answers is :mod:`.responses`' job; the field forms (types, byte limits,
ID forms) are checked there, before a method is called.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Final

import attrs

from ..models import Topic
from . import spec
from .errors import ServiceError
from .events import CreatingTopic, TopicCreated, TopicEvent, TopicInfoChanged, TopicsDestroyed

ASSIGNED_ID_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
ASSIGNED_ID_LENGTH: Final = 11

#: modify_topic's fields the profile-change webhook reports -> the webhook's key.
INFO_CHANGE_FIELDS: Final = {
    "topic_name": "Name",
    "introduction": "Introduction",
    "notification": "Notification",
    "face_url": "FaceUrl",
}

__all__ = [
    "CreatingTopic",
    "Destroyed",
    "Group",
    "StoredTopic",
    "TopicBackend",
    "TopicCreated",
    "TopicEvent",
    "TopicInfoChanged",
    "TopicsDestroyed",
]


@attrs.define(kw_only=True)
class StoredTopic:
    """One topic as the emulator holds it."""

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
    mute_all_member: bool = False
    owner_account: str = ""

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
            mute_all_member=self.mute_all_member,
        )


@attrs.define
class Group:
    """A group the emulated app has: its live topics (in creation order) and the IDs of
    deleted ones."""

    group_id: str
    topics_enabled: bool
    topics: dict[str, StoredTopic] = attrs.field(factory=dict)
    deleted: set[str] = attrs.field(factory=set)


@attrs.frozen
class Destroyed:
    """What one destroy_topic did: per requested ID (in order, repeats included) whether it
    was deleted by this call, and the event (None when nothing was deleted)."""

    results: tuple[tuple[str, bool], ...]
    event: TopicsDestroyed | None


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
        printable = all(" " <= char <= "~" for char in group_id)
        if not printable or len(group_id) > spec.GROUP_ID_MAX_BYTES:
            raise ValueError("group_id must be printable ASCII and shorter than 48 bytes")
        prefix = spec.COMMUNITY_PREFIX
        if topics and (not group_id.startswith(prefix) or group_id == prefix):
            raise ValueError(
                f"group_id {group_id!r} cannot have topics: community IDs start with "
                f"{prefix!r} (add another kind of group with topics=False)"
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

    def check_create(
        self, *, group_id: str, topic_id: str | None = None, imported: bool = False
    ) -> None:
        """The checks the service makes before asking the app's before-create webhook:
        the group has topics, a custom ID is free (10010, 11000, 10025 or 10021)."""
        self._topic_group(group_id)
        self._check_id_free(group_id, topic_id, imported=imported)

    def before_create(
        self, *, group_id: str, topic_name: str, operator_account: str | None = None
    ) -> CreatingTopic:
        """The before-create webhook's question about a create_topic."""
        return CreatingTopic(
            group_id=group_id,
            operator_account=operator_account or self.admin_identifier,
            topic_name=topic_name,
        )

    def create_topic(
        self,
        *,
        group_id: str,
        topic_name: str,
        topic_id: str | None = None,
        operator_account: str | None = None,
        face_url: str = "",
        notification: str = "",
        introduction: str = "",
        custom_string: str = "",
    ) -> TopicCreated:
        """Create a topic (a custom ``topic_id`` or one the service assigns); the group and
        the custom ID are checked again, since other calls may run while the app's webhook
        is asked."""
        operator = operator_account or self.admin_identifier
        stored = self._store(
            StoredTopic(
                group_id=group_id,
                topic_id=topic_id or "",
                topic_name=topic_name,
                face_url=face_url,
                notification=notification,
                introduction=introduction,
                custom_string=custom_string,
                create_time=int(self._wall_clock()),
                owner_account=operator,
            ),
            imported=False,
        )
        return TopicCreated(
            group_id=group_id,
            topic_id=stored.topic_id,
            operator_account=operator,
            owner_account=operator,
            topic_name=topic_name,
        )

    def import_topic(
        self,
        *,
        group_id: str,
        topic_name: str,
        topic_id: str | None = None,
        operator_account: str | None = None,
        face_url: str = "",
        notification: str = "",
        introduction: str = "",
        custom_string: str = "",
        create_time: int | None = None,
    ) -> str:
        """Import a topic (keeping ``create_time``, else now); its ID. No webhook event."""
        stored = self._store(
            StoredTopic(
                group_id=group_id,
                topic_id=topic_id or "",
                topic_name=topic_name,
                face_url=face_url,
                notification=notification,
                introduction=introduction,
                custom_string=custom_string,
                create_time=int(self._wall_clock()) if create_time is None else create_time,
                owner_account=operator_account or self.admin_identifier,
            ),
            imported=True,
        )
        return stored.topic_id

    def get_topic(
        self, *, group_id: str, topic_ids: Sequence[str] | None = None
    ) -> list[tuple[str, StoredTopic | None]]:
        """The requested topics (every live one when ``topic_ids`` is None), each with its
        ID; None for a deleted or unknown one."""
        group = self._topic_group(group_id)
        ids = list(group.topics) if topic_ids is None else topic_ids
        return [(topic_id, group.topics.get(topic_id)) for topic_id in ids]

    def destroy_topic(self, *, group_id: str, topic_ids: Sequence[str]) -> Destroyed:
        """Delete topics; each ID gets its own result."""
        group = self._topic_group(group_id)
        results = []
        for topic_id in topic_ids:
            removed = group.topics.pop(topic_id, None) is not None
            if removed:
                group.deleted.add(topic_id)
            results.append((topic_id, removed))
        destroyed = tuple(topic_id for topic_id, removed in results if removed)
        event = TopicsDestroyed(group_id=group_id, topic_ids=destroyed) if destroyed else None
        return Destroyed(tuple(results), event)

    def modify_topic(
        self,
        *,
        group_id: str,
        topic_id: str,
        operator_account: str | None = None,
        topic_name: str | None = None,
        face_url: str | None = None,
        notification: str | None = None,
        introduction: str | None = None,
        custom_string: str | None = None,
        mute_all_member: bool | None = None,
    ) -> TopicInfoChanged | None:
        """Change the given fields (None leaves one as it is); the event reports the
        changed name, introduction, notification and face URL, if any changed."""
        group = self._topic_group(group_id)
        topic = group.topics.get(topic_id)
        if topic is None:
            raise ServiceError(spec.GROUP_NOT_FOUND, "the topic has been deleted or does not exist")
        updates = {
            "topic_name": topic_name,
            "face_url": face_url,
            "notification": notification,
            "introduction": introduction,
            "custom_string": custom_string,
            "mute_all_member": mute_all_member,
        }
        changed: dict[str, str] = {}
        for attribute, value in updates.items():
            if value is None or getattr(topic, attribute) == value:
                continue
            setattr(topic, attribute, value)
            hook_key = INFO_CHANGE_FIELDS.get(attribute)
            if hook_key is not None and isinstance(value, str):
                changed[hook_key] = value
        if not changed:
            return None
        return TopicInfoChanged(
            group_id=group_id,
            topic_id=topic_id,
            operator_account=operator_account or self.admin_identifier,
            changed=changed,
        )

    # -- helpers ---------------------------------------------------------------------------

    def _store(self, topic: StoredTopic, *, imported: bool) -> StoredTopic:
        """Keep ``topic`` (an empty ``topic_id`` gets one assigned) after checking its group
        and custom ID again."""
        group = self._topic_group(topic.group_id)
        self._check_id_free(topic.group_id, topic.topic_id or None, imported=imported)
        if not topic.topic_id:
            topic.topic_id = self._assign_id(group)
        group.topics[topic.topic_id] = topic
        group.deleted.discard(topic.topic_id)
        return topic

    def _topic_group(self, group_id: str) -> Group:
        group = self._groups.get(group_id)
        if group is None:
            raise ServiceError(
                spec.GROUP_NOT_FOUND, f"group {group_id!r} does not exist or was deleted"
            )
        if not group.topics_enabled:
            raise ServiceError(
                spec.TOPICS_NOT_SUPPORTED, f"group {group_id!r} does not support community topics"
            )
        return group

    def _check_id_free(self, group_id: str, topic_id: str | None, *, imported: bool) -> None:
        if topic_id is not None and topic_id in self._groups[group_id].topics:
            code = spec.TOPIC_ID_IN_USE_IMPORT if imported else spec.TOPIC_ID_IN_USE_CREATE
            raise ServiceError(code, f"topic ID {topic_id!r} is already in use")

    def _assign_id(self, group: Group) -> str:
        prefix = group.group_id + spec.TOPIC_MARK + spec.ASSIGNED_MARK + "c"
        while True:
            suffix = "".join(self._id_rng.choices(ASSIGNED_ID_ALPHABET, k=ASSIGNED_ID_LENGTH))
            topic_id = prefix + suffix
            if topic_id not in group.topics and topic_id not in group.deleted:
                return topic_id
