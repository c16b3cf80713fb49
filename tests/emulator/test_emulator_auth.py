"""UserSig verification: genuine, expired, tampered, another app's, another account's."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import pytest
from support.constants import ADMIN, SDKAPPID, SECRET
from support.emulator_calls import craft_sig, valid_sig
from TLSSigAPIv2 import TLSSigAPIv2

from tim_topics.emulator.auth import UserSigError, UserSigVerifier, decode_usersig

NOW = 1_700_000_000


def verifier(now: float = NOW) -> UserSigVerifier:
    return UserSigVerifier(sdkappid=SDKAPPID, key=SECRET, wall_clock=lambda: now)


def refusal(
    sig: str, *, identifier: str = ADMIN, sdkappid: int = SDKAPPID, now: float = NOW
) -> int:
    with pytest.raises(UserSigError) as caught:
        verifier(now).verify(sig, identifier=identifier, sdkappid=sdkappid)
    assert sig not in str(caught.value)
    return caught.value.code


def test_a_sig_from_tlssigapiv2_is_accepted() -> None:
    sig = valid_sig()
    decoded = UserSigVerifier(sdkappid=SDKAPPID, key=SECRET).verify(
        sig, identifier=ADMIN, sdkappid=SDKAPPID
    )
    assert (decoded.identifier, decoded.sdkappid, decoded.expire) == (ADMIN, SDKAPPID, 86400)


def test_a_sig_with_userbuf_is_accepted() -> None:
    sig = TLSSigAPIv2(SDKAPPID, SECRET).gen_sig_with_userbuf(ADMIN, 3600, b"buf")
    decoded = UserSigVerifier(sdkappid=SDKAPPID, key=SECRET).verify(
        sig, identifier=ADMIN, sdkappid=SDKAPPID
    )
    assert decoded.userbuf is not None


def test_valid_until_time_plus_expire() -> None:
    sig = craft_sig(issued=NOW - 100, expire=100)
    assert verifier(NOW).verify(sig, identifier=ADMIN, sdkappid=SDKAPPID).time == NOW - 100
    assert refusal(sig, now=NOW + 1) == 70001


def test_expired_sig_is_70001() -> None:
    assert refusal(craft_sig(issued=NOW - 10_000, expire=3600)) == 70001


def test_tampered_fields_fail_the_hmac_with_70009() -> None:
    def extend(fields: dict[str, Any]) -> None:
        fields["TLS.expire"] = 10**9

    assert refusal(craft_sig(issued=NOW, expire=60, edit=extend)) == 70009


def test_tampered_signature_is_70009() -> None:
    def flip(fields: dict[str, Any]) -> None:
        fields["TLS.sig"] = base64.b64encode(b"x" * 32).decode()

    assert refusal(craft_sig(issued=NOW, expire=60, edit=flip)) == 70009


def test_another_apps_key_is_70009() -> None:
    assert refusal(craft_sig(issued=NOW, expire=60, key="another-apps-key")) == 70009


def test_another_apps_sdkappid_is_70014() -> None:
    sig = valid_sig(sdkappid=1400000001)
    assert refusal(sig) == 70014


def test_another_account_is_70013() -> None:
    assert refusal(valid_sig("someone-else")) == 70013


@pytest.mark.parametrize(
    "garbage",
    [
        "not a sig",
        "eJzLSM3JyVcozy_KSQEAGgQEXQ__",  # zlib of "hello world", url-safe base64
        valid_sig()[:-12],  # truncated
        base64.b64encode(zlib.compress(b"[1, 2]")).decode(),
        base64.b64encode(zlib.compress(b'{"TLS.identifier": "a"}')).decode(),
        base64.b64encode(zlib.compress(b'{"TLS.identifier": "a", "TLS.sdkappid": "1"}')).decode(),
    ],
)
def test_unparsable_sig_is_70003(garbage: str) -> None:
    assert refusal(garbage) == 70003


def test_a_remembered_sig_is_still_checked_for_account_and_expiry() -> None:
    clock = [float(NOW)]
    checker = UserSigVerifier(sdkappid=SDKAPPID, key=SECRET, wall_clock=lambda: clock[0])
    sig = craft_sig(issued=NOW, expire=60)
    checker.verify(sig, identifier=ADMIN, sdkappid=SDKAPPID)
    with pytest.raises(UserSigError) as caught:
        checker.verify(sig, identifier="other", sdkappid=SDKAPPID)
    assert caught.value.code == 70013
    clock[0] = NOW + 61
    with pytest.raises(UserSigError) as caught:
        checker.verify(sig, identifier=ADMIN, sdkappid=SDKAPPID)
    assert caught.value.code == 70001


def test_secrets_are_not_in_reprs() -> None:
    sig = valid_sig()
    assert SECRET not in repr(UserSigVerifier(sdkappid=SDKAPPID, key=SECRET))
    decoded = decode_usersig(sig)
    assert decoded.signature not in repr(decoded)
