"""MkDocs hook: Sphinx roles in the docstrings shown as plain code in the API reference.

The package's docstrings use roles such as ``:class:`~tim_topics.errors.ApiError``` (what
editors and Sphinx understand); mkdocstrings renders them as ``:class:`` followed by the
code. This turns each into the code alone, shortened to its last name when it starts
with ``~`` (as Sphinx does). The targets are often private modules, so they are not
linked.
"""

from __future__ import annotations

import re
from typing import Any

from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

ROLE = re.compile(
    r":(?:py:)?(?:class|meth|func|mod|attr|data|exc|obj|const):"
    r"<code>(?P<tilde>~?)(?P<target>[^<]*)</code>"
)


def _code(match: re.Match[str]) -> str:
    target = match.group("target")
    if match.group("tilde"):
        target = target.rsplit(".", 1)[-1]
    return f"<code>{target}</code>"


def on_page_content(html: str, page: Page, config: Any, files: Files) -> str:
    return ROLE.sub(_code, html)
