"""UserSigs are made with whichever signing method the installed TLSSigAPIv2 build has."""

from __future__ import annotations

from typing import ClassVar

import pytest

import tim_topics.usersig as usersig_module
from tim_topics.usersig import GeneratedUserSig


class _OldBuild:
    """The PyPI build's name: ``gen_sig``."""

    calls: ClassVar[list[tuple[str, int]]] = []

    def __init__(self, sdkappid: int, key: str) -> None:
        self.sdkappid = sdkappid

    def gen_sig(self, identifier: str, expire: int = 180 * 86400) -> str:
        self.calls.append((identifier, expire))
        return f"old-{self.sdkappid}-{identifier}-{expire}"


class _UpstreamBuild:
    """The upstream source's name: ``genUserSig`` (same arguments)."""

    calls: ClassVar[list[tuple[str, int]]] = []

    def __init__(self, sdkappid: int, key: str) -> None:
        self.sdkappid = sdkappid

    def genUserSig(self, identifier: str, expire: int = 180 * 86400) -> str:
        self.calls.append((identifier, expire))
        return f"new-{self.sdkappid}-{identifier}-{expire}"


class _NoBuild:
    def __init__(self, sdkappid: int, key: str) -> None:
        pass


@pytest.mark.parametrize(("build", "prefix"), [(_OldBuild, "old"), (_UpstreamBuild, "new")])
def test_either_method_name_makes_the_usersig(
    build: type, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build.calls = []
    monkeypatch.setattr(usersig_module, "TLSSigAPIv2", build)
    source = GeneratedUserSig(1400000000, "admin", "key-7c1e", validity=3600)
    assert source.current() == f"{prefix}-1400000000-admin-3600"
    source.renew()
    assert build.calls == [("admin", 3600), ("admin", 3600)]
    assert source.generated == 2


def test_a_build_with_neither_name_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(usersig_module, "TLSSigAPIv2", _NoBuild)
    with pytest.raises(TypeError, match="gen_sig, genUserSig") as caught:
        GeneratedUserSig(1400000000, "admin", "key-7c1e")
    assert "key-7c1e" not in str(caught.value)


def test_the_installed_build_has_one_of_them() -> None:
    source = GeneratedUserSig(1400000000, "admin", "key-7c1e", validity=3600)
    assert len(source.current()) > 20
