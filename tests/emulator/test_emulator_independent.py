"""The emulator knows the API on its own: no emulator module imports the client's rules, and
its own copy (``emulator/spec.py``, from the vendor's pages) agrees with the client's tables.

Two independent sources that must agree: a mistake in either shows here as a disagreement,
instead of being made twice and hidden from every test against the emulator.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tim_topics.emulator
from tim_topics import endpoints, validation, wire
from tim_topics.emulator import spec

EMULATOR_DIR = Path(tim_topics.emulator.__file__).parent

#: Client modules the emulator must not import: its rules, wire converter, paths, client.
FORBIDDEN = frozenset(
    {
        "tim_topics.validation",
        "tim_topics.wire",
        "tim_topics.endpoints",
        "tim_topics.client",
        "tim_topics.request_builder",
        "tim_topics.request_path",
        "tim_topics.calls",
    }
)


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (relative imports resolved), including ``from X import
    name`` as both ``X`` and ``X.name`` (the name may be a submodule)."""
    package = "tim_topics.emulator"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def emulator_modules() -> list[Path]:
    return sorted(EMULATOR_DIR.glob("*.py"))


def test_the_checker_resolves_relative_and_absolute_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from .. import validation\nfrom ..wire import WIRE_NAMES\nimport tim_topics.client\n"
        "from . import spec\n",
        encoding="utf-8",
    )
    found = imported_modules(sample)
    assert {"tim_topics.validation", "tim_topics.wire", "tim_topics.client"} <= found
    assert "tim_topics.emulator.spec" in found


@pytest.mark.parametrize("path", emulator_modules(), ids=lambda path: path.name)
def test_no_emulator_module_imports_the_clients_rules(path: Path) -> None:
    assert not imported_modules(path) & FORBIDDEN


def test_every_emulator_module_is_checked_and_small() -> None:
    names = {path.name for path in emulator_modules()}
    assert {"spec.py", "backend.py", "responses.py", "server.py", "app.py"} <= names
    for path in emulator_modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= 400, f"{path.name} has {lines} lines"


# -- the two sources agree ---------------------------------------------------------------------


def test_byte_limits_agree() -> None:
    clients = {wire.WIRE_NAMES[name]: limit for name, limit in validation.BYTE_LIMITS.items()}
    assert clients == dict(spec.BYTE_LIMITS)


def test_id_rules_and_integer_range_agree() -> None:
    assert spec.COMMUNITY_PREFIX == validation.COMMUNITY_PREFIX
    assert spec.TOPIC_MARK == validation.TOPIC_MARK
    assert spec.TOPIC_ID_MAX_BYTES == validation.TOPIC_ID_MAX_BYTES
    assert spec.GROUP_ID_MAX_BYTES == validation.GROUP_ID_MAX_BYTES
    assert spec.UINT32_MAX == validation.UINT32_MAX


def test_commands_paths_and_rate_limit_agree() -> None:
    assert spec.COMMANDS == tuple(endpoints.COMMANDS)
    assert spec.RATE_LIMIT == endpoints.SERVICE_RATE_LIMIT
    for command, service in endpoints.DEFAULT_SERVICES.items():
        # the client's default path of each command is one the emulator serves
        assert spec.ROUTES[endpoints.command_path(service, command)] == command
        assert spec.COMMAND_SERVICES[command][0] == service
    # import_topic is served under both services: the pages disagree
    assert set(spec.COMMAND_SERVICES["import_topic"]) == {
        endpoints.GROUP_SERVICE,
        endpoints.MILLION_GROUP_SERVICE,
    }
