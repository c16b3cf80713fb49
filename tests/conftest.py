"""Fixtures shared by the tests at this level, and the ``slow`` mark.

Slow tests start subprocesses, servers of other kinds (Redis, uvicorn), soak under faults
or build the docs. ``python -m pytest -q -m "not slow"`` skips them while you work;
``.ci/run`` (and the README's command) run everything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from support.scripted import ScriptedServer

HERE = Path(__file__).resolve().parent
#: Folders and modules whose tests are slow (relative to tests/).
SLOW = (
    "redis",
    "examples",
    "docs",
    "benchmarks",
    "cli",
    "test_fault_soak.py",
    "emulator/test_emulator_cli.py",
    "bulk/test_bulk_outages.py",
    "bulk/test_bulk_faults.py",
    "test_adaptive_logging.py",
    "test_import_layers.py",
    "test_telemetry.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        where = Path(str(item.path)).resolve().relative_to(HERE).as_posix()
        if any(where == slow or where.startswith(slow + "/") for slow in SLOW):
            item.add_marker(pytest.mark.slow)


@pytest_asyncio.fixture
async def scripted() -> AsyncIterator[ScriptedServer]:
    server = ScriptedServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
