"""UserSig verification, written from the documented format (the vendor's UserSig pages), independent of the
client's signing code so that a client bug cannot be hidden by the same bug here.

A UserSig is a JSON object (``TLS.ver``, ``TLS.identifier``, ``TLS.sdkappid``,
``TLS.expire``, ``TLS.time``, ``TLS.sig``, optionally ``TLS.userbuf``), zlib-compressed,
then base64 with ``+``->``*``, ``/``->``-``, ``=``->``_``. ``TLS.sig`` is the standard
base64 of HMAC-SHA256(key, the ``TLS.*`` lines). The sig is valid until time + expire.

Nothing here logs or repeats the UserSig: error texts describe what is wrong, never the sig.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import zlib
from collections.abc import Callable
from typing import Any

import attrs

from .spec import (
    SIG_BAD_SIGNATURE,
    SIG_EXPIRED,
    SIG_IDENTIFIER_MISMATCH,
    SIG_SDKAPPID_MISMATCH,
    SIG_UNPARSABLE,
)

_FROM_URL_SAFE = str.maketrans({"*": "+", "-": "/", "_": "="})
#: Largest decompressed sig we accept: real ones are about 200 bytes.
_MAX_SIG_JSON = 4096


class UserSigError(Exception):
    """A UserSig was refused: ``code`` is the service's 70xxx code."""

    def __init__(self, code: int, info: str) -> None:
        super().__init__(info)
        self.code = code
        self.info = info


@attrs.frozen(kw_only=True)
class DecodedSig:
    """The fields of a decoded UserSig."""

    identifier: str
    sdkappid: int
    time: int
    expire: int
    signature: str = attrs.field(repr=False)
    userbuf: str | None = attrs.field(default=None, repr=False)


def decode_usersig(usersig: str) -> DecodedSig:
    """The fields of ``usersig``, or :class:`UserSigError` 70003 when it does not parse."""
    try:
        compressed = base64.b64decode(usersig.translate(_FROM_URL_SAFE), validate=True)
        inflater = zlib.decompressobj()
        raw = inflater.decompress(compressed, _MAX_SIG_JSON)
        if inflater.unconsumed_tail or not inflater.eof:
            raise ValueError("truncated or oversized")
        fields = json.loads(raw.decode("utf-8"))
    except (binascii.Error, zlib.error, ValueError, UnicodeDecodeError):
        raise UserSigError(SIG_UNPARSABLE, "UserSig could not be parsed") from None
    if not isinstance(fields, dict):
        raise UserSigError(SIG_UNPARSABLE, "UserSig could not be parsed: not a JSON object")
    return DecodedSig(
        identifier=_str_field(fields, "TLS.identifier"),
        sdkappid=_int_field(fields, "TLS.sdkappid"),
        time=_int_field(fields, "TLS.time"),
        expire=_int_field(fields, "TLS.expire"),
        signature=_str_field(fields, "TLS.sig"),
        userbuf=_optional_str(fields, "TLS.userbuf"),
    )


def _str_field(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str):
        raise UserSigError(SIG_UNPARSABLE, f"UserSig could not be parsed: {name} is missing")
    return value


def _optional_str(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise UserSigError(SIG_UNPARSABLE, f"UserSig could not be parsed: {name} is not text")
    return value


def _int_field(fields: dict[str, Any], name: str) -> int:
    value = fields.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserSigError(
            SIG_UNPARSABLE, f"UserSig could not be parsed: {name} is missing or not an integer"
        )
    return value


def expected_signature(key: str, sig: DecodedSig) -> str:
    """The base64 HMAC-SHA256 a genuine sig with these fields carries."""
    content = (
        f"TLS.identifier:{sig.identifier}\n"
        f"TLS.sdkappid:{sig.sdkappid}\n"
        f"TLS.time:{sig.time}\n"
        f"TLS.expire:{sig.expire}\n"
    )
    if sig.userbuf is not None:
        content += f"TLS.userbuf:{sig.userbuf}\n"
    digest = hmac.new(key.encode("utf-8"), content.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class UserSigVerifier:
    """Checks UserSigs of one app (its ``sdkappid`` and secret ``key``).

    Clients reuse one UserSig for hours, so sigs whose HMAC matched are remembered (a few
    of them): a repeat skips the decoding and the HMAC, never the account, app and expiry
    checks.
    """

    _CACHE_SIZE = 32

    def __init__(
        self, *, sdkappid: int, key: str, wall_clock: Callable[[], float] = time.time
    ) -> None:
        self.sdkappid = sdkappid
        self._key = key
        self._wall_clock = wall_clock
        self._genuine: dict[str, DecodedSig] = {}

    def __repr__(self) -> str:
        return f"UserSigVerifier(sdkappid={self.sdkappid})"

    def verify(self, usersig: str, *, identifier: str, sdkappid: int) -> DecodedSig:
        """Check ``usersig`` against the request's ``identifier`` and ``sdkappid``.

        Raises :class:`UserSigError`: 70003 unparsable, 70014 the sig's SDKAppID differs
        from the request's, 70013 the sig's account differs, 70009 the HMAC does not match
        (another app's key, or a tampered sig), 70001 expired.
        """
        sig = self._genuine.get(usersig)
        if sig is None:
            sig = decode_usersig(usersig)
        _check_names(sig, identifier=identifier, sdkappid=sdkappid)
        if usersig not in self._genuine:
            expected = expected_signature(self._key, sig)
            if not hmac.compare_digest(expected.encode("ascii"), sig.signature.encode("utf-8")):
                raise UserSigError(SIG_BAD_SIGNATURE, "UserSig verification failed")
            if len(self._genuine) >= self._CACHE_SIZE:
                self._genuine.clear()
            self._genuine[usersig] = sig
        expires_at = sig.time + sig.expire
        now = int(self._wall_clock())
        if expires_at < now:
            raise UserSigError(
                SIG_EXPIRED, f"UserSig expired at {expires_at} (Unix time), it is now {now}"
            )
        return sig


def _check_names(sig: DecodedSig, *, identifier: str, sdkappid: int) -> None:
    if sig.sdkappid != sdkappid:
        raise UserSigError(
            SIG_SDKAPPID_MISMATCH,
            f"UserSig was made for SDKAppID {sig.sdkappid}, the request is for {sdkappid}",
        )
    if sig.identifier != identifier:
        raise UserSigError(
            SIG_IDENTIFIER_MISMATCH,
            f"UserSig was made for account {sig.identifier!r}, "
            f"the request's identifier is {identifier!r}",
        )
