"""Every public name is exported from ``tim_topics`` and documented."""

from __future__ import annotations

import inspect
from pathlib import Path

import tim_topics

ROOT = Path(__file__).resolve().parent.parent
DOCS = "\n".join(
    path.read_text(encoding="utf-8") for path in [ROOT / "README.md", *ROOT.glob("docs/**/*.md")]
)


def test_every_name_in_all_exists() -> None:
    for name in tim_topics.__all__:
        assert hasattr(tim_topics, name), name


def test_the_contract_names_are_exported() -> None:
    for name in (
        "TopicClient",
        "Topic",
        "TopicResult",
        "DestroyResult",
        "TopicRecord",
        "TimTopicsError",
        "ValidationError",
        "ApiError",
        "TransportError",
        "Emulator",
        "WebhookRouter",
        "RedisLimiter",
    ):
        assert name in tim_topics.__all__, name


def test_the_package_is_typed() -> None:
    assert (Path(tim_topics.__file__).parent / "py.typed").exists()


def test_classes_and_functions_have_docstrings() -> None:
    for name in tim_topics.__all__:
        value = getattr(tim_topics, name)
        if isinstance(value, type) or inspect.isfunction(value):
            assert value.__doc__, name


def test_every_public_name_is_documented() -> None:
    """Each exported name appears in the README or the docs (the API reference pages
    render it from its docstring)."""
    missing = [name for name in tim_topics.__all__ if name != "__version__" and name not in DOCS]
    assert missing == []
