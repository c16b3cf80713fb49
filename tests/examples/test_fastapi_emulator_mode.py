"""``python examples/fastapi_app.py --emulator``: the documented command, as a process."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from support.constants import GROUP
from support.examples import free_port, interrupt, read_until, start_example


@pytest.mark.asyncio
async def test_serves_against_its_embedded_emulator_and_stops_on_ctrl_c() -> None:
    port = free_port()
    process = await start_example("fastapi_app", "--emulator", "--port", str(port))
    try:
        await read_until(process, f"Uvicorn running on http://127.0.0.1:{port}")
        topics = f"http://127.0.0.1:{port}/groups/{quote(GROUP, safe='')}/topics"
        async with httpx.AsyncClient() as http:
            draft = await http.post(topics, json={"topic_name": "draft-1"})
            assert draft.status_code == 422  # refused through the emulator's signed webhook
            created = await http.post(topics, json={"topic_name": "general"})
            assert created.status_code == 201
            listed = await http.get(topics)
            assert [t["topic_name"] for t in listed.json()] == ["general"]
    finally:
        status, rest = await interrupt(process)
    assert status == 0, rest
    assert "Application shutdown complete" in rest
    assert "Sign=" not in rest
