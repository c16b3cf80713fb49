"""Constructing a client: regions, credentials, and what its repr shows."""

from __future__ import annotations

import pytest
from support.constants import ADMIN, SDKAPPID, SECRET

from tim_topics import TopicClient, ValidationError


def test_secrets_stay_out_of_reprs() -> None:
    client = TopicClient(SDKAPPID, ADMIN, SECRET)
    assert SECRET not in repr(client)
    assert SECRET not in repr(client._usersig)
    sig = client._usersig.current()
    assert sig not in repr(client) and sig not in repr(client._usersig)


def test_regions_and_backup_domains() -> None:
    assert TopicClient(SDKAPPID, ADMIN, SECRET).base_url == "https://console.tim.qq.com"
    sgp = TopicClient(SDKAPPID, ADMIN, SECRET, region="singapore")
    assert sgp.base_url == "https://adminapisgp.im.qcloud.com"
    backup = TopicClient(SDKAPPID, ADMIN, SECRET, region="silicon-valley", backup_domain=True)
    assert backup.base_url == "https://adminapiusa.my-imcloud.com"
    with pytest.raises(ValidationError, match="region"):
        TopicClient(SDKAPPID, ADMIN, SECRET, region="mars")


def test_constructor_checks() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        TopicClient(SDKAPPID, ADMIN)
    with pytest.raises(ValidationError, match="exactly one"):
        TopicClient(SDKAPPID, ADMIN, SECRET, usersig="x")
    with pytest.raises(ValidationError, match="sdkappid"):
        TopicClient(0, ADMIN, SECRET)
    with pytest.raises(ValidationError, match="base_url"):
        TopicClient(SDKAPPID, ADMIN, SECRET, base_url="ftp://x")
