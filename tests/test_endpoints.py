"""Regions: every documented region maps to its primary and backup domain."""

from __future__ import annotations

import pytest

from tim_topics.endpoints import REGION_DOMAINS, region_base_url
from tim_topics.errors import ValidationError


@pytest.mark.parametrize(
    ("region", "backup", "url"),
    [
        ("riyadh", False, "https://adminapiksa.im.qcloud.com"),
        ("Riyadh", True, "https://adminapiksa.my-imcloud.com"),
        ("china", False, "https://console.tim.qq.com"),
        ("silicon_valley", True, "https://adminapiusa.my-imcloud.com"),
    ],
)
def test_region_domains(region: str, backup: bool, url: str) -> None:
    assert region_base_url(region, backup=backup) == url


def test_unknown_region_lists_riyadh_among_the_known() -> None:
    with pytest.raises(ValidationError, match="riyadh") as caught:
        region_base_url("atlantis")
    assert caught.value.field == "region"
    assert len(REGION_DOMAINS) == 9
