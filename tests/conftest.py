"""Fixtures shared by the tests at this level."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from client_support import ScriptedServer


@pytest_asyncio.fixture
async def scripted() -> AsyncIterator[ScriptedServer]:
    server = ScriptedServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
