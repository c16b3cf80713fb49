"""Where each command lives: the five topic commands, their services and the regional domains.

Endpoints are data (one constant per command) so the request path, the limiter buckets
and the emulator's router all key on the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

from yarl import URL

from .errors import ValidationError

Command = Literal["create_topic", "destroy_topic", "get_topic", "modify_topic", "import_topic"]

MILLION_GROUP_SERVICE: Final = "million_group_open_http_svc"
GROUP_SERVICE: Final = "group_open_http_svc"

#: The service of each command as the vendor's English pages give it.
DEFAULT_SERVICES: Final[Mapping[Command, str]] = {
    "create_topic": MILLION_GROUP_SERVICE,
    "destroy_topic": MILLION_GROUP_SERVICE,
    "get_topic": MILLION_GROUP_SERVICE,
    "modify_topic": MILLION_GROUP_SERVICE,
    "import_topic": GROUP_SERVICE,
}

COMMANDS: Final[tuple[Command, ...]] = tuple(DEFAULT_SERVICES)

#: The documented per-command limit of the service, calls per second per app.
SERVICE_RATE_LIMIT: Final = 200

#: The service's own time-out for one REST call, seconds.
SERVICE_TIMEOUT: Final = 3.0

#: Region name -> (primary domain, backup domain for DNS trouble). From the vendor's
#: REST API overview pages; Riyadh is listed on the newer overview pages only.
REGION_DOMAINS: Final[Mapping[str, tuple[str, str]]] = {
    "china": ("console.tim.qq.com", "adminapi.my-imcloud.com"),
    "singapore": ("adminapisgp.im.qcloud.com", "adminapisgp.my-imcloud.com"),
    "seoul": ("adminapikr.im.qcloud.com", "adminapikr.my-imcloud.com"),
    "tokyo": ("adminapijpn.im.qcloud.com", "adminapijpn.my-imcloud.com"),
    "frankfurt": ("adminapiger.im.qcloud.com", "adminapiger.my-imcloud.com"),
    "mumbai": ("adminapiind.im.qcloud.com", "adminapiind.my-imcloud.com"),
    "silicon-valley": ("adminapiusa.im.qcloud.com", "adminapiusa.my-imcloud.com"),
    "jakarta": ("adminapiidn.im.qcloud.com", "adminapiidn.my-imcloud.com"),
    "riyadh": ("adminapiksa.im.qcloud.com", "adminapiksa.my-imcloud.com"),
}


def region_base_url(region: str, *, backup: bool = False) -> str:
    """The https base URL of a region, e.g. ``https://adminapisgp.im.qcloud.com``."""
    key = region.strip().lower().replace("_", "-").replace(" ", "-")
    try:
        primary, spare = REGION_DOMAINS[key]
    except KeyError:
        known = ", ".join(REGION_DOMAINS)
        raise ValidationError(
            "region", f"region {region!r} is unknown; the known regions are: {known}"
        ) from None
    return f"https://{spare if backup else primary}"


def base_url_of(base_url: str | None, region: str, *, backup: bool = False) -> str:
    """The client's base URL: ``base_url`` (an http(s) URL, e.g. the emulator's) when
    given, else the region's domain."""
    if base_url is None:
        return region_base_url(region, backup=backup)
    url = URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValidationError(
            "base_url",
            f"base_url must be an http(s) URL like 'http://127.0.0.1:8080', got {base_url!r}",
        )
    return base_url.rstrip("/")


def command_path(service: str, command: str) -> str:
    """The URL path of a command: ``/v4/{service}/{command}``."""
    return f"/v4/{service}/{command}"


def services_with(overrides: Mapping[str, str] | None) -> dict[str, str]:
    """The service of each command: the pages' values, with ``overrides`` for some."""
    unknown = set(overrides or {}) - set(COMMANDS)
    if unknown:
        raise ValidationError(
            "services", f"services names unknown commands {sorted(unknown)}; known: {COMMANDS}"
        )
    services: dict[str, str] = {str(k): v for k, v in DEFAULT_SERVICES.items()}
    services.update(overrides or {})
    return services
