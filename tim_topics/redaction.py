"""Showing a URL (a Redis URL) without its password, whatever characters the password holds.

URL parsers (``urllib``, ``yarl``) end the authority at the first ``/``, ``?`` or ``#``;
a base64 password holds ``/``, so ``redis://:Zm9v/YmFy=@host`` parses as host ``:Zm9v``
with the rest of the password in the path, and a redaction built on such a parse shows
it. Here the user part is everything between ``scheme://`` and the **last** ``@``, and a
``password=`` query parameter is hidden up to the end of the URL. Both err on the side of
hiding too much: a display may lose a little, a secret never shows.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote, unquote_plus, urlsplit

HIDDEN: Final = "***"

#: A ``password=`` query parameter and everything after it.
_PASSWORD_PARAMETER: Final = re.compile(r"([?&;]password=).*", re.IGNORECASE | re.DOTALL)
#: Where a ``password=`` query parameter's value starts (overlapping ones too).
_PASSWORD_MARKER: Final = re.compile(r"(?<=[?&;])password=", re.IGNORECASE)
#: A user name that is shown as is (anything else in the user part is hidden whole).
_PLAIN_USER: Final = re.compile(r"[A-Za-z0-9._~-]*")


def _split(url: str) -> tuple[str, str]:
    """(``scheme://`` or "", the rest)."""
    scheme, separator, rest = url.partition("://")
    return (scheme + separator, rest) if separator else ("", url)


def _user_part(rest: str) -> tuple[str | None, str]:
    """(the user part or None, what follows its ``@``)."""
    user_part, at, after = rest.rpartition("@")
    return (user_part, after) if at else (None, rest)


def redact_url(url: str) -> str:
    """``url`` with its password as ``***``: the user part's password (or the whole user
    part when it is not ``name:password`` with a plain name), and any ``password=`` query
    parameter with everything after it. When an ``@`` follows ``password=`` (inside that
    value, or a user part that holds ``password=``) everything after ``scheme://`` is
    hidden: either reading could be the right one."""
    head, rest = _split(url)
    parameter = _PASSWORD_PARAMETER.search(rest)
    if parameter is not None and "@" in rest[parameter.start() :]:
        return head + HIDDEN
    user_part, after = _user_part(rest)
    shown = head
    if user_part is not None:
        user, colon, _ = user_part.partition(":")
        plain = colon and _PLAIN_USER.fullmatch(user) and "password=" not in user.lower()
        shown += f"{user}:{HIDDEN}@" if plain else f"{HIDDEN}@"
    return shown + _PASSWORD_PARAMETER.sub(lambda m: m.group(1) + HIDDEN, after)


def url_secrets(url: str) -> list[str]:
    """What :func:`redact_url` hides (raw and percent-decoded), longest first, to scrub
    from messages that third-party code wrote about the URL. Where a secret ends is a guess
    when it holds raw ``@`` or ``&``, so every guess is in the list."""
    _, rest = _split(url)
    found: list[str] = []
    for end, char in enumerate(rest):
        if char == "@":  # the user part, if this '@' ends it
            found += [rest[:end], rest[:end].partition(":")[2]]
    for match in _PASSWORD_MARKER.finditer(rest):
        value = rest[match.end() :]
        found += [value[:end] for end, char in enumerate(value) if char in "&@"] + [value]
    try:
        parts = urlsplit(url)
        found += [parts.password or "", parts.username or ""] if "@" in rest else []
    except ValueError:
        pass
    found += [unquote(text) for text in found] + [unquote_plus(text) for text in found]
    return sorted({text for text in found if text}, key=len, reverse=True)


def has_secret(url: str) -> bool:
    """Whether ``url`` carries credentials: a user part, or a ``password=`` parameter."""
    return bool(url_secrets(url))


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every occurrence of any of ``secrets`` replaced by ``***``
    (overlapping occurrences are hidden as one stretch)."""
    hidden = [False] * len(text)
    for secret in secrets:
        start = text.find(secret) if secret else -1
        while start >= 0:
            hidden[start : start + len(secret)] = [True] * len(secret)
            start = text.find(secret, start + 1)
    shown: list[str] = []
    for index, char in enumerate(text):
        if not hidden[index]:
            shown.append(char)
        elif index == 0 or not hidden[index - 1]:
            shown.append(HIDDEN)
    return "".join(shown)


def misread_credentials(url: str) -> str | None:
    """Why URL parsers would misread ``url``'s credentials (a raw ``/ ? # @`` in the
    password), or None. Such a URL must not be used: the client library would take part
    of the password for the host, port or path, and could show it in its errors."""
    if not has_secret(url):
        return None
    user_part, _ = _user_part(_split(url)[1])
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        netloc = ""
    parsed_user, at, _ = netloc.rpartition("@")
    if (parsed_user if at else None) != user_part or "#" in url:
        return (
            "its credentials hold characters that URL parsers split on (/ ? # @): "
            "write them percent-encoded (%2F %3F %23 %40)"
        )
    return None


__all__ = ["HIDDEN", "has_secret", "misread_credentials", "redact_url", "scrub", "url_secrets"]
