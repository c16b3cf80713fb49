"""UserSigs: made from the key in the documented format, cached, renewed before expiry."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib

from support.constants import ADMIN, SDKAPPID, SECRET

from tim_topics.usersig import RENEW_AT, GeneratedUserSig, StaticUserSig


def decode(sig: str) -> dict[str, object]:
    raw = base64.b64decode(sig.replace("*", "+").replace("-", "/").replace("_", "="))
    data: dict[str, object] = json.loads(zlib.decompress(raw))
    return data


def test_generated_sig_has_the_documented_format_and_valid_hmac() -> None:
    source = GeneratedUserSig(SDKAPPID, ADMIN, SECRET, validity=86400)
    fields = decode(source.current())
    assert fields["TLS.identifier"] == ADMIN
    assert fields["TLS.sdkappid"] == SDKAPPID
    assert fields["TLS.expire"] == 86400
    content = (
        f"TLS.identifier:{ADMIN}\nTLS.sdkappid:{SDKAPPID}\n"
        f"TLS.time:{fields['TLS.time']}\nTLS.expire:86400\n"
    )
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), content.encode(), hashlib.sha256).digest()
    )
    assert fields["TLS.sig"] == expected.decode()


def test_cached_until_most_of_its_validity_has_passed() -> None:
    now = [1000.0]
    source = GeneratedUserSig(SDKAPPID, ADMIN, SECRET, validity=3600, clock=lambda: now[0])
    source.current()
    now[0] += 3600 * RENEW_AT - 1
    source.current()
    assert source.generated == 1
    now[0] += 2
    source.current()
    assert source.generated == 2


def test_renew_makes_a_new_one_now() -> None:
    source = GeneratedUserSig(SDKAPPID, ADMIN, SECRET)
    source.current()
    source.renew()
    assert source.generated == 2


def test_static_sig_is_never_renewed_and_hidden() -> None:
    source = StaticUserSig("abc-sig")
    source.renew()
    assert source.current() == "abc-sig"
    assert not source.renewable
    assert "abc-sig" not in repr(source)
