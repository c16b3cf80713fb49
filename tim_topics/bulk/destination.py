"""Where an import goes: the app (SDKAppID) and the endpoint (a region, or a base URL).

A journal records it, so that a journal of an import into a test app (or the emulator) is
never taken for one into production: there its "done" records would be skipped, and
production would hold nothing.
"""

from __future__ import annotations

import re

import attrs
from yarl import URL

from ..endpoints import REGION_DOMAINS
from .service import TopicService


@attrs.frozen
class Destination:
    """An app at an endpoint."""

    sdkappid: int
    endpoint: str
    """A region's name (its primary and backup domains are one endpoint), or a base URL."""

    def __str__(self) -> str:
        return f"app {self.sdkappid} at {self.endpoint}"

    @property
    def file_tag(self) -> str:
        """A short tag for file names: the SDKAppID, plus the host and port when the
        endpoint is a base URL rather than a region (an emulator, a proxy)."""
        if self.endpoint in REGION_DOMAINS:
            return str(self.sdkappid)
        url = URL(self.endpoint)
        where = f"{url.host}-{url.port}" if url.port is not None else str(url.host)
        return f"{self.sdkappid}-{re.sub(r'[^A-Za-z0-9.-]+', '-', where)}"


def endpoint_of(base_url: str) -> str:
    """The region whose primary or backup domain ``base_url`` is, else the URL itself."""
    url = URL(base_url)
    if url.scheme == "https" and url.path in ("", "/"):
        for region, domains in REGION_DOMAINS.items():
            if url.host in domains:
                return region
    return base_url.rstrip("/")


def destination_of(client: TopicService) -> Destination:
    return Destination(client.sdkappid, endpoint_of(client.base_url))
