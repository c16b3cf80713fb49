"""Fixtures of the emulator's tests: an emulator on a loopback port, a client session, and a
``call`` helper that POSTs a command with the documented query string."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest_asyncio
from support.constants import ADMIN, GROUP, OTHER_GROUP, PLAIN_GROUP, SDKAPPID, SECRET
from support.emulator_calls import PATHS, Call, query

from tim_topics.emulator import Emulator


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(
        sdkappid=SDKAPPID, secret_key=SECRET, identifier=ADMIN, groups=[GROUP, OTHER_GROUP]
    ) as emulator:
        emulator.add_group(PLAIN_GROUP, topics=False)
        yield emulator


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
        yield session


@pytest_asyncio.fixture
async def call(emu: Emulator, http: aiohttp.ClientSession) -> Call:
    """POST a command to the emulator and return the JSON answer (HTTP 200 expected)."""

    async def run(command: str, body: Any, **query_overrides: str | None) -> dict[str, Any]:
        async with http.post(
            emu.url + PATHS[command], params=query(**query_overrides), json=body
        ) as response:
            assert response.status == 200
            assert response.content_type == "application/json"
            answer: dict[str, Any] = await response.json()
            return answer

    return run
