"""Sign / RequestTime / SdkAppid checks of WebhookVerifier."""

from __future__ import annotations

import pytest
from support.constants import SDKAPPID

from tim_topics import TimTopicsError
from tim_topics.webhooks import WebhookAuthError, WebhookVerifier, webhook_sign

TOKEN = "xxxxyyyy"
NOW = 1669872112
VENDOR_SIGN = "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061"


def verifier(token: str | None = TOKEN, **kwargs: float) -> WebhookVerifier:
    return WebhookVerifier(sdkappid=SDKAPPID, token=token, clock=lambda: NOW, **kwargs)


def signed(request_time: int = NOW, token: str = TOKEN, **extra: str) -> dict[str, str]:
    return {
        "SdkAppid": str(SDKAPPID),
        "CallbackCommand": "Group.CallbackAfterCreateTopic",
        "RequestTime": str(request_time),
        "Sign": webhook_sign(token, request_time),
        **extra,
    }


def refused(query: dict[str, str], v: WebhookVerifier | None = None) -> WebhookAuthError:
    with pytest.raises(WebhookAuthError) as caught:
        (v or verifier()).verify(query)
    assert isinstance(caught.value, TimTopicsError)
    assert TOKEN not in str(caught.value)
    return caught.value


def test_sign_matches_the_vendor_example() -> None:
    assert webhook_sign(TOKEN, NOW) == VENDOR_SIGN
    assert webhook_sign(TOKEN, str(NOW)) == VENDOR_SIGN


def test_valid_signature_passes() -> None:
    verifier().verify(signed())
    verifier().verify({**signed(), "Sign": VENDOR_SIGN.upper()})


def test_wrong_signature_is_401() -> None:
    error = refused(signed(token="another-token"))
    assert error.status == 401
    assert "Sign" in str(error)
    assert webhook_sign("another-token", NOW) not in str(error)


def test_signature_for_another_time_is_401() -> None:
    query = {**signed(), "RequestTime": str(NOW - 1)}
    assert refused(query).status == 401


@pytest.mark.parametrize("missing", ["Sign", "RequestTime"])
def test_missing_signature_parts_are_401(missing: str) -> None:
    query = signed()
    del query[missing]
    error = refused(query)
    assert error.status == 401 and missing in str(error)


@pytest.mark.parametrize("offset", [61, -61, 3600, -86400])
def test_stale_or_future_request_time_is_401(offset: int) -> None:
    error = refused(signed(NOW + offset))
    assert error.status == 401 and "RequestTime" in str(error)


@pytest.mark.parametrize("offset", [60, -60, 0])
def test_request_time_within_the_skew_passes(offset: int) -> None:
    verifier().verify(signed(NOW + offset))


def test_max_skew_is_configurable() -> None:
    verifier(max_skew=300).verify(signed(NOW - 299))
    assert refused(signed(NOW - 11), verifier(max_skew=10)).status == 401


def test_another_apps_sdkappid_is_403() -> None:
    assert refused({**signed(), "SdkAppid": "1400000001"}).status == 403


def test_missing_sdkappid_is_403() -> None:
    query = signed()
    del query["SdkAppid"]
    assert refused(query).status == 403


def test_without_a_token_no_signature_is_needed() -> None:
    verifier(token=None).verify({"SdkAppid": str(SDKAPPID)})
    assert refused({"SdkAppid": "1"}, verifier(token=None)).status == 403


def test_without_a_token_a_present_request_time_is_still_checked() -> None:
    v = verifier(token=None)
    v.verify({"SdkAppid": str(SDKAPPID), "RequestTime": str(NOW + 5)})
    assert refused({"SdkAppid": str(SDKAPPID), "RequestTime": str(NOW - 120)}, v).status == 401
    assert refused({"SdkAppid": str(SDKAPPID), "RequestTime": "yesterday"}, v).status == 401


def test_non_numeric_request_time_is_401_even_when_signed() -> None:
    query = {"SdkAppid": str(SDKAPPID), "RequestTime": "soon", "Sign": webhook_sign(TOKEN, "soon")}
    assert refused(query).status == 401


def test_the_token_is_not_in_the_repr() -> None:
    assert TOKEN not in repr(verifier())


@pytest.mark.parametrize(
    "kwargs",
    [{"sdkappid": 0}, {"sdkappid": "1400000000"}, {"sdkappid": SDKAPPID, "max_skew": 0}],
)
def test_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        WebhookVerifier(**kwargs)  # type: ignore[arg-type]


def test_verifier_takes_app_and_token_like_the_router() -> None:
    """``WebhookVerifier(SDKAPPID, TOKEN)`` as ``WebhookRouter(SDKAPPID, TOKEN)``: the same style."""
    positional = WebhookVerifier(SDKAPPID, "token", clock=lambda: NOW)
    assert positional == WebhookVerifier(sdkappid=SDKAPPID, token="token", clock=positional.clock)
    with pytest.raises(TypeError):
        WebhookVerifier(SDKAPPID, "token", 300.0)  # type: ignore[misc]  # max_skew is keyword-only
