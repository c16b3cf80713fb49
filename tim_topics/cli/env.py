"""Credentials and endpoint from the environment: never from command-line arguments, which
show in process listings and shell histories.

| variable | meaning |
|---|---|
| ``TIM_SDKAPPID`` | the app's SDKAppID (required) |
| ``TIM_IDENTIFIER`` | the app admin account (default ``administrator``) |
| ``TIM_SECRET_KEY`` | the app's secret key: UserSigs are made and renewed |
| ``TIM_USERSIG`` | or a ready UserSig of the admin account |
| ``TIM_REGION`` | the region of the app (``china``, ``singapore``, ...; default ``china``) |
| ``TIM_BASE_URL`` | or an explicit base URL (an emulator: ``http://127.0.0.1:8080``) |
| ``TIM_REDIS_URL`` | ``tim-topics import``: a Redis whose budget every importer shares |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

from ..client import TopicClient
from ..endpoints import region_base_url
from ..errors import ValidationError

SDKAPPID_ENV: Final = "TIM_SDKAPPID"
IDENTIFIER_ENV: Final = "TIM_IDENTIFIER"
SECRET_KEY_ENV: Final = "TIM_SECRET_KEY"
USERSIG_ENV: Final = "TIM_USERSIG"
REGION_ENV: Final = "TIM_REGION"
BASE_URL_ENV: Final = "TIM_BASE_URL"
REDIS_URL_ENV: Final = "TIM_REDIS_URL"
DEFAULT_IDENTIFIER: Final = "administrator"
DEFAULT_REGION: Final = "china"

ENV_HELP: Final = (
    f"Credentials come from the environment: {SDKAPPID_ENV}, {IDENTIFIER_ENV} (default "
    f"{DEFAULT_IDENTIFIER}), {SECRET_KEY_ENV} or {USERSIG_ENV}, and {REGION_ENV} (default "
    f"{DEFAULT_REGION}) or {BASE_URL_ENV}."
)


class EnvError(Exception):
    """The environment does not describe a usable app; the message names the variable."""


@attrs.frozen(kw_only=True)
class Credentials:
    """Who calls, and where."""

    sdkappid: int
    identifier: str
    secret_key: str | None = attrs.field(default=None, repr=False)
    usersig: str | None = attrs.field(default=None, repr=False)
    region: str = DEFAULT_REGION
    base_url: str | None = None

    @property
    def endpoint(self) -> str:
        """The base URL requests go to."""
        return self.base_url or region_base_url(self.region)


def credentials_from_env(environ: Mapping[str, str]) -> Credentials:
    """The app's credentials from ``environ``; EnvError naming what is missing or wrong."""

    def value(name: str) -> str | None:
        text = environ.get(name, "").strip()
        return text or None

    appid_text = value(SDKAPPID_ENV)
    if appid_text is None:
        raise EnvError(f"{SDKAPPID_ENV} is not set: export the app's SDKAppID")
    if not (appid_text.isascii() and appid_text.isdigit()) or int(appid_text) <= 0:
        raise EnvError(f"{SDKAPPID_ENV} must be a positive integer, got {appid_text!r}")
    secret_key, usersig = value(SECRET_KEY_ENV), value(USERSIG_ENV)
    if (secret_key is None) == (usersig is None):
        raise EnvError(
            f"set exactly one of {SECRET_KEY_ENV} (UserSigs are made and renewed) or "
            f"{USERSIG_ENV} (a ready UserSig)"
            + (" (both are set)" if secret_key is not None else "")
        )
    region, base_url = value(REGION_ENV), value(BASE_URL_ENV)
    if region is not None and base_url is not None:
        raise EnvError(f"set {REGION_ENV} or {BASE_URL_ENV}, not both")
    credentials = Credentials(
        sdkappid=int(appid_text),
        identifier=value(IDENTIFIER_ENV) or DEFAULT_IDENTIFIER,
        secret_key=secret_key,
        usersig=usersig,
        region=region or DEFAULT_REGION,
        base_url=base_url,
    )
    try:
        credentials.endpoint  # noqa: B018 - checks the region name
    except ValidationError as exc:
        raise EnvError(f"{REGION_ENV}: {exc}") from None
    return credentials


def make_client(credentials: Credentials, **options: Any) -> TopicClient:
    """A client for ``credentials``; ``options`` go to :class:`TopicClient`. EnvError when
    the values are refused (a bad base URL, identifier, ...)."""
    try:
        return TopicClient(
            credentials.sdkappid,
            credentials.identifier,
            credentials.secret_key,
            usersig=credentials.usersig,
            region=credentials.region,
            base_url=credentials.base_url,
            **options,
        )
    except ValidationError as exc:
        raise EnvError(str(exc)) from None
