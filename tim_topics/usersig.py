"""Where the admin's UserSig comes from: generated from the secret key (cached, renewed
well before it expires) or given ready-made by the user (never renewed).

A UserSig is a bearer credential: it never appears in a repr, a log line or an error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from TLSSigAPIv2 import TLSSigAPIv2

from .errors import ValidationError

#: Validity of a generated UserSig. The vendor recommends at least 24 h.
DEFAULT_VALIDITY = 7 * 86400
#: Renew once this share of the validity is used up (so well before expiry).
RENEW_AT = 0.75
#: The signing method's names across builds of the TLSSigAPIv2 package: the PyPI build has
#: ``gen_sig``, the upstream source renamed it ``genUserSig`` (same arguments).
SIGNING_METHODS = ("gen_sig", "genUserSig")


def signing_method(api: object) -> Callable[[str, int], str]:
    """``api``'s method that makes a UserSig from (identifier, validity in seconds),
    whichever of :data:`SIGNING_METHODS` this build of the package has."""
    for name in SIGNING_METHODS:
        method = getattr(api, name, None)
        if callable(method):
            return method  # type: ignore[no-any-return]
    raise TypeError(
        f"the installed TLSSigAPIv2 has none of {', '.join(SIGNING_METHODS)}: "
        "install the TLSSigAPIv2 package from PyPI"
    )


class UserSigSource(Protocol):
    """Gives the UserSig to put in each request."""

    @property
    def renewable(self) -> bool:
        """Whether :meth:`renew` can make a new one (after a 70001 answer)."""
        ...

    def current(self) -> str:
        """The UserSig to use now."""
        ...

    def renew(self) -> None:
        """Make a new UserSig now (after the service said the current one expired)."""
        ...


class StaticUserSig:
    """A ready UserSig given by the user: used as is, never renewed."""

    renewable = False

    def __init__(self, usersig: str) -> None:
        self.__usersig = usersig

    def current(self) -> str:
        return self.__usersig

    def renew(self) -> None:
        """A given UserSig cannot be renewed."""

    def __repr__(self) -> str:
        return "StaticUserSig(usersig=<hidden>)"


class GeneratedUserSig:
    """UserSigs made by ``TLSSigAPIv2`` (``gen_sig`` or ``genUserSig``) from the secret key, cached and renewed
    once :data:`RENEW_AT` of their validity has passed (never one per request)."""

    renewable = True

    def __init__(
        self,
        sdkappid: int,
        identifier: str,
        secret_key: str,
        *,
        validity: int = DEFAULT_VALIDITY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if validity < 60:
            raise ValidationError(
                "usersig_validity", f"usersig_validity is {validity} s, the minimum is 60"
            )
        self._identifier = identifier
        self._validity = validity
        self._clock = clock
        self.__sign = signing_method(TLSSigAPIv2(sdkappid, secret_key))
        self.__usersig = ""
        self._renew_after = float("-inf")
        self.generated = 0
        """How many UserSigs this source has made (for tests and metrics)."""

    def current(self) -> str:
        if self._clock() >= self._renew_after:
            self.renew()
        return self.__usersig

    def renew(self) -> None:
        issued = self._clock()
        sig: str = self.__sign(self._identifier, self._validity)
        self.__usersig = sig
        self._renew_after = issued + self._validity * RENEW_AT
        self.generated += 1

    def __repr__(self) -> str:
        return f"GeneratedUserSig(identifier={self._identifier!r}, secret_key=<hidden>)"


def usersig_source(
    sdkappid: int,
    identifier: str,
    secret_key: str | None,
    usersig: str | None,
    *,
    validity: int = DEFAULT_VALIDITY,
) -> UserSigSource:
    """UserSigs made from ``secret_key`` (and renewed), or the ``usersig`` given (used as
    is): exactly one of the two."""
    if (secret_key is None) == (usersig is None):
        raise ValidationError(
            "secret_key",
            "give exactly one of secret_key (UserSigs are made and renewed) "
            "or usersig (a ready UserSig)",
        )
    if secret_key is not None:
        if not isinstance(secret_key, str) or not secret_key:
            raise ValidationError("secret_key", "secret_key must be a non-empty str")
        return GeneratedUserSig(sdkappid, identifier, secret_key, validity=validity)
    if not isinstance(usersig, str) or not usersig:
        raise ValidationError("usersig", "usersig must be a non-empty str")
    return StaticUserSig(usersig)
