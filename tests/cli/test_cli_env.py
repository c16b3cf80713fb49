"""Credentials and endpoint from the environment."""

from __future__ import annotations

import pytest
from support.constants import SECRET

from tim_topics.cli.env import EnvError, credentials_from_env, make_client


def test_a_secret_key_and_a_region() -> None:
    found = credentials_from_env(
        {"TIM_SDKAPPID": "1400000000", "TIM_SECRET_KEY": SECRET, "TIM_REGION": "singapore"}
    )
    assert found.sdkappid == 1400000000
    assert found.identifier == "administrator"
    assert found.endpoint == "https://adminapisgp.im.qcloud.com"
    assert SECRET not in repr(found)


def test_a_usersig_and_a_base_url() -> None:
    found = credentials_from_env(
        {
            "TIM_SDKAPPID": "1400000000",
            "TIM_USERSIG": "eJw-sig",
            "TIM_IDENTIFIER": "admin2",
            "TIM_BASE_URL": "http://127.0.0.1:9",
        }
    )
    assert (found.identifier, found.usersig, found.endpoint) == (
        "admin2",
        "eJw-sig",
        "http://127.0.0.1:9",
    )
    assert "eJw-sig" not in repr(found)
    client = make_client(found)
    assert client.base_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "TIM_SDKAPPID is not set"),
        (
            {"TIM_SDKAPPID": "abc", "TIM_SECRET_KEY": SECRET},
            "TIM_SDKAPPID must be a positive integer",
        ),
        ({"TIM_SDKAPPID": "1"}, "set exactly one of TIM_SECRET_KEY"),
        ({"TIM_SDKAPPID": "1", "TIM_SECRET_KEY": SECRET, "TIM_USERSIG": "s"}, "both are set"),
        (
            {"TIM_SDKAPPID": "1", "TIM_SECRET_KEY": SECRET, "TIM_REGION": "mars"},
            "region 'mars' is unknown",
        ),
        (
            {
                "TIM_SDKAPPID": "1",
                "TIM_SECRET_KEY": SECRET,
                "TIM_REGION": "tokyo",
                "TIM_BASE_URL": "http://x",
            },
            "not both",
        ),
    ],
)
def test_what_is_wrong_is_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(EnvError, match=message) as caught:
        credentials_from_env(environ)
    assert SECRET not in str(caught.value)


def test_a_bad_base_url_is_an_env_error() -> None:
    found = credentials_from_env(
        {"TIM_SDKAPPID": "1", "TIM_SECRET_KEY": SECRET, "TIM_BASE_URL": "ftp://x"}
    )
    with pytest.raises(EnvError, match="base_url"):
        make_client(found)
