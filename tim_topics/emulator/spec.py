"""The community-topic REST API as the vendor's pages describe it: the emulator's own copy.

Written from the vendor's API pages (create, import, get and modify topic; Deleting Topic,
the Group System's ID rules and the shared error-code table), not from the client's modules: a
mistake in the client's tables then shows as a disagreement (tests/emulator checks that the
two agree) instead of being made twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# -- commands and paths ----------------------------------------------------------------------

MILLION_GROUP_SERVICE: Final = "million_group_open_http_svc"
GROUP_SERVICE: Final = "group_open_http_svc"

#: Command -> the services whose path serves it (``/v4/{service}/{command}``). The pages
#: disagree about import_topic (the English page says group_open_http_svc, the pages in
#: another language million_group_open_http_svc), so the emulator answers under both.
COMMAND_SERVICES: Final[Mapping[str, tuple[str, ...]]] = {
    "create_topic": (MILLION_GROUP_SERVICE,),
    "destroy_topic": (MILLION_GROUP_SERVICE,),
    "get_topic": (MILLION_GROUP_SERVICE,),
    "modify_topic": (MILLION_GROUP_SERVICE,),
    "import_topic": (GROUP_SERVICE, MILLION_GROUP_SERVICE),
}

#: The five commands, in the pages' order.
COMMANDS: Final[tuple[str, ...]] = tuple(COMMAND_SERVICES)


def path_of(service: str, command: str) -> str:
    """The request path of ``command`` under ``service``."""
    return f"/v4/{service}/{command}"


#: Request path -> command: every path the emulator serves.
ROUTES: Final[Mapping[str, str]] = {
    path_of(service, command): command
    for command, services in COMMAND_SERVICES.items()
    for service in services
}

#: "Maximum call frequency: 200 calls per second", per command and app.
RATE_LIMIT: Final = 200

# -- fields and IDs --------------------------------------------------------------------------

#: UTF-8 byte limits of the text fields, by wire name (one Chinese character is 3 bytes).
BYTE_LIMITS: Final[Mapping[str, int]] = {
    "TopicName": 30,
    "Introduction": 240,
    "Notification": 300,
    "FaceUrl": 100,
    "CustomString": 3000,
}

#: A community's group ID starts with this.
COMMUNITY_PREFIX: Final = "@TGS#_"
#: A topic ID is ``GroupId + TOPIC_MARK + custom part``.
TOPIC_MARK: Final = "@TOPIC#_"
#: The custom part of an ID the service assigns starts with this (``@TOPIC#_@TOPIC#c...``).
ASSIGNED_MARK: Final = "@TOPIC#"
#: A whole topic ID is at most this many bytes (printable ASCII).
TOPIC_ID_MAX_BYTES: Final = 96
#: A custom group ID is shorter than 48 bytes.
GROUP_ID_MAX_BYTES: Final = 47
#: ``random`` and ``CreateTime`` are 32-bit unsigned integers.
UINT32_MAX: Final = 4_294_967_295

#: get_topic's TopicInfo keys, in the order of the page's sample.
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
#: TopicInfo keys a ResponseFilter cannot remove.
ALWAYS_IN_TOPIC_INFO: Final = frozenset({"TopicId", "GroupID"})
#: get_topic's SelfInfo of the asking account (the emulator has no members).
SELF_INFO: Final[Mapping[str, object]] = {
    "ShutUpTime": 0,
    "MsgSeq": 0,
    "MsgFlag": "AcceptAndNotify",
}

# -- error codes the emulator answers --------------------------------------------------------

INVALID_COMMAND: Final = 10003
INVALID_PARAMETER: Final = 10004
RATE_LIMITED: Final = 10006
GROUP_NOT_FOUND: Final = 10010
INVALID_GROUP_ID: Final = 10015
WEBHOOK_REJECTED: Final = 10016
TOPIC_ID_IN_USE_IMPORT: Final = 10021
TOPIC_ID_IN_USE_CREATE: Final = 10025
TOPICS_NOT_SUPPORTED: Final = 11000
TOPIC_DELETED: Final = 110003
HTTP_PARSE_ERROR: Final = 60002
JSON_PARSE_ERROR: Final = 60003
RESOURCE_ERROR: Final = 60009
ADMIN_REQUIRED: Final = 60010
SDKAPPID_NOT_FOUND: Final = 70020
SIG_EXPIRED: Final = 70001
SIG_UNPARSABLE: Final = 70003
SIG_BAD_SIGNATURE: Final = 70009
SIG_IDENTIFIER_MISMATCH: Final = 70013
SIG_SDKAPPID_MISMATCH: Final = 70014

#: The codes a before-create webhook may pass on to the caller; any other refusal is 10016.
APP_DEFINED_CODES: Final = range(10100, 10201)
