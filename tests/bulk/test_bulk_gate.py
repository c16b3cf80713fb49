"""The send gate: a settlement waits for the sends of its key, and holds new ones off."""

from __future__ import annotations

import asyncio

import pytest

from tim_topics.bulk.gate import SendGate

pytestmark = pytest.mark.asyncio


async def test_a_settlement_waits_for_sends_in_flight() -> None:
    gate = SendGate()
    events: list[str] = []
    release = asyncio.Event()

    async def send() -> None:
        async with gate.sending("k"):
            events.append("send start")
            await release.wait()
            events.append("send end")

    async def settle() -> None:
        async with gate.settling("k"):
            events.append("settle")

    sender = asyncio.create_task(send())
    await asyncio.sleep(0)
    settler = asyncio.create_task(settle())
    await asyncio.sleep(0.01)
    assert events == ["send start"]
    release.set()
    await asyncio.gather(sender, settler)
    assert events == ["send start", "send end", "settle"]
    assert len(gate) == 0


async def test_new_sends_wait_for_a_waiting_settlement() -> None:
    gate = SendGate()
    events: list[str] = []
    release = asyncio.Event()

    async def first_send() -> None:
        async with gate.sending("k"):
            await release.wait()

    async def settle() -> None:
        async with gate.settling("k"):
            events.append("settle")

    async def late_send() -> None:
        async with gate.sending("k"):
            events.append("late send")

    tasks = [asyncio.create_task(first_send())]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(settle()))
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(late_send()))
    await asyncio.sleep(0.01)
    assert events == []
    release.set()
    await asyncio.gather(*tasks)
    assert events == ["settle", "late send"]


async def test_other_keys_do_not_wait() -> None:
    gate = SendGate()
    async with gate.sending("a"):
        async with gate.settling("b"):
            pass


async def test_a_cancelled_settler_lets_the_sends_go_on() -> None:
    gate = SendGate()
    release = asyncio.Event()

    async def hold() -> None:
        async with gate.sending("k"):
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    settler = asyncio.create_task(gate.settling("k").__aenter__())
    await asyncio.sleep(0)
    settler.cancel()
    await asyncio.gather(settler, return_exceptions=True)
    sent = asyncio.create_task(gate.sending("k").__aenter__())
    await asyncio.wait_for(sent, 1.0)  # not blocked by the cancelled settler
    release.set()
    await holder
