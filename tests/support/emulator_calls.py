"""Constants and helpers of the emulator's tests: the documented query string with a UserSig
made by TLSSigAPIv2 or by hand (independently of tim_topics' own client)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from TLSSigAPIv2 import TLSSigAPIv2

from .constants import ADMIN, SDKAPPID, SECRET

PATHS = {
    "create_topic": "/v4/million_group_open_http_svc/create_topic",
    "destroy_topic": "/v4/million_group_open_http_svc/destroy_topic",
    "get_topic": "/v4/million_group_open_http_svc/get_topic",
    "modify_topic": "/v4/million_group_open_http_svc/modify_topic",
    "import_topic": "/v4/group_open_http_svc/import_topic",
}


def valid_sig(identifier: str = ADMIN, *, sdkappid: int = SDKAPPID, key: str = SECRET) -> str:
    sig: str = TLSSigAPIv2(sdkappid, key).gen_sig(identifier, expire=86400)
    return sig


def craft_sig(
    *,
    identifier: str = ADMIN,
    sdkappid: int = SDKAPPID,
    key: str = SECRET,
    issued: int,
    expire: int,
    edit: Callable[[dict[str, Any]], None] | None = None,
) -> str:
    """A UserSig made by hand (for expired or tampered ones): ``edit`` changes the fields
    after signing."""
    content = (
        f"TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\n"
        f"TLS.time:{issued}\nTLS.expire:{expire}\n"
    )
    mac = hmac.new(key.encode(), content.encode(), hashlib.sha256).digest()
    fields: dict[str, Any] = {
        "TLS.ver": "2.0",
        "TLS.identifier": identifier,
        "TLS.sdkappid": sdkappid,
        "TLS.expire": expire,
        "TLS.time": issued,
        "TLS.sig": base64.b64encode(mac).decode(),
    }
    if edit is not None:
        edit(fields)
    raw = base64.b64encode(zlib.compress(json.dumps(fields).encode())).decode()
    return raw.replace("+", "*").replace("/", "-").replace("=", "_")


def query(**overrides: str | None) -> dict[str, str]:
    """The documented query string; an override of None leaves the key out."""
    params: dict[str, str | None] = {
        "sdkappid": str(SDKAPPID),
        "identifier": ADMIN,
        "usersig": valid_sig(),
        "random": str(random.randrange(2**32)),
        "contenttype": "json",
        **overrides,
    }
    return {key: value for key, value in params.items() if value is not None}


Call = Callable[..., Awaitable[dict[str, Any]]]
"""The ``call`` fixture: ``await call(command, body, **query_overrides)`` -> the answer."""
