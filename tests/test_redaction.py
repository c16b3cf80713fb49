"""Redis URLs shown without their password, whatever characters it holds and wherever
it sits (URL parsers misread passwords with ``/ ? # @``)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tim_topics.redaction import has_secret, misread_credentials, redact_url, scrub, url_secrets

#: Passwords full of URL-special characters; every piece between them is long and unique,
#: so a test can tell when a piece leaks.
PASSWORDS = [
    "Zm9vYmFy/c2VjcmV0+bG9uZ2tleQ==",  # a base64 access key
    "Zm9vYmFy#c2VjcmV0?bG9uZ2tleQ",
    "Zm9vYmFy@c2VjcmV0:bG9uZ2tleQ%",
    "Zm9vYmFy/c2VjcmV0#aGVsbG8?d29ybGQ@cXVlcnk:dGVzdA%2F&password=eHl6enk",
    "Zm9vYmFy%40c2VjcmV0%2FbG9uZ2tleQ",  # already percent-encoded
    "Zm9vYmFy;c2VjcmV0=bG9uZ2tleQ&amp",
]

#: Where the password sits.
PLACES = [
    "redis://:{pw}@127.0.0.1:6379/0",
    "redis://worker:{pw}@127.0.0.1:6379/0",
    "rediss://{pw}@redis.example:6380/2",
    "redis://127.0.0.1:6379/0?password={pw}",
    "redis://127.0.0.1:6379/0?db=1&password={pw}&socket_timeout=5",
    "redis://worker:{pw}@127.0.0.1:6379/0?password={pw}",
    "unix:///run/redis.sock?db=0&password={pw}",
]


def pieces(password: str) -> list[str]:
    """The password and each run of it between URL-special characters."""
    runs = re.split(r"[/#?@:%&;=+]", password)
    return [password, *[p for p in runs if len(p) >= 4 and p != "password"]]


def assert_hidden(text: str, password: str) -> None:
    for piece in pieces(password) + pieces(quote(password, safe="")):
        assert piece not in text, (piece, text)


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("password", PASSWORDS)
def test_redact_url_never_shows_the_password(place: str, password: str) -> None:
    for pw in (password, quote(password, safe="")):
        url = place.format(pw=pw)
        shown = redact_url(url)
        assert_hidden(shown, password)
        assert "***" in shown
        assert shown.startswith(url.partition("://")[0] + "://")
        assert has_secret(url)
        assert url_secrets(url)
        assert_hidden(scrub(f"failed: {url} / {pw}", url_secrets(url)), password)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://:pw@host:6379/0", "redis://:***@host:6379/0"),
        ("redis://user:a%2Fb@host:6379/0", "redis://user:***@host:6379/0"),
        ("redis://:Zm9v/YmFy=@host:6379/0", "redis://:***@host:6379/0"),
        ("redis://h:1/0?db=2&password=a/b?c", "redis://h:1/0?db=2&password=***"),
        ("redis://h:1/0?password=a@b:c", "redis://***"),  # '@' in the value: hide it all
    ],
)
def test_redacted_shapes(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_scrub_hides_overlapping_secrets_as_one_stretch() -> None:
    assert scrub("a-secret-word-b", ["secret-w", "t-word"]) == "a-***-b"
    assert scrub("x pw y pw", ["pw"]) == "x *** y ***"


def test_urls_without_credentials_are_untouched() -> None:
    url = "redis://127.0.0.1:6379/0?db=1"
    assert not has_secret(url)
    assert misread_credentials(url) is None
    assert redact_url(url) == url


@pytest.mark.parametrize("password", [PASSWORDS[0], PASSWORDS[1], PASSWORDS[3]])
def test_raw_special_characters_in_credentials_are_refused(password: str) -> None:
    reason = misread_credentials(f"redis://:{password}@127.0.0.1:6379/0")
    assert reason is not None and "percent-encoded" in reason
    assert_hidden(reason, password)
    encoded = f"redis://:{quote(password, safe='')}@127.0.0.1:6379/0"
    assert misread_credentials(encoded) is None
