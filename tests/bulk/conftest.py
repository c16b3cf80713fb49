"""Fixtures of the bulk importer's tests: an emulator with a raised rate limit, and a client
of it with short retries and a fixed rate."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from support.bulk import FAST, GROUPS
from support.constants import ADMIN, SDKAPPID, SECRET

from tim_topics import TopicClient
from tim_topics.emulator import Emulator


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(
        sdkappid=SDKAPPID, secret_key=SECRET, identifier=ADMIN, groups=GROUPS, rate_limit=5000
    ) as emulator:
        yield emulator


@pytest_asyncio.fixture
async def client(emu: Emulator) -> AsyncIterator[TopicClient]:
    async with TopicClient(
        SDKAPPID, ADMIN, SECRET, base_url=emu.url, rate_limit=5000, adaptive=False, retry=FAST
    ) as topic_client:
        yield topic_client
