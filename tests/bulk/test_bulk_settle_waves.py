"""Cheap settling (issue 11, point 8): a record waiting to settle holds no send slot, the
lost answers of one group settle in one read (a wave), a wave is sent as soon as no record
it waits for is still to come, and a settlement never uses a read sent before it began.

Everything runs over real HTTP against the emulator; where a test must hold a group read
back, it drives the bulk engine through :class:`HeldReads`, a real client whose get_topic
calls wait for the test's word (bulk takes any object of its ``TopicService`` protocol).
Time-outs only keep a broken engine from hanging the suite; nothing asserts on timing."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from support.bulk import SHORT_WAIT
from support.constants import GROUP

from tim_topics import TopicClient, TopicRecord
from tim_topics.bulk import ImportGauges, ImportOutcome, import_topics
from tim_topics.bulk.group_reads import GroupReads, GroupTopics
from tim_topics.bulk.service import MadeTopic, RequestCounts
from tim_topics.emulator import Emulator
from tim_topics.models import Topic, TopicResult
from tim_topics.request_builder import TopicRequest

pytestmark = pytest.mark.asyncio

#: Seconds before a test that would hang fails instead.
GUARD = 30.0


class HeldReads:
    """A real client whose get_topic answers are held back until :meth:`release` (the
    call itself goes, and is counted, at once)."""

    def __init__(self, client: TopicClient) -> None:
        self._client = client
        self.released = asyncio.Event()
        self.sent = 0
        self.answered = asyncio.Event()

    @property
    def sdkappid(self) -> int:
        return self._client.sdkappid

    @property
    def base_url(self) -> str:
        return self._client.base_url

    @property
    def metrics(self) -> RequestCounts:
        return self._client.metrics

    def effective_rate(self, command: str) -> float:
        return self._client.effective_rate(command)

    async def send_create(self, command: str, request: TopicRequest) -> MadeTopic:
        return await self._client.send_create(command, request)

    async def get_topic(
        self,
        group_id: str,
        *,
        topic_ids: Sequence[str] | None = None,
        response_filter: Sequence[str] | None = None,
    ) -> list[TopicResult]:
        self.sent += 1
        results = await self._client.get_topic(
            group_id, topic_ids=topic_ids, response_filter=response_filter
        )
        self.answered.set()
        await self.released.wait()
        return results

    def release(self) -> None:
        self.released.set()


async def imported(service: Any, records: list[TopicRecord], **options: Any) -> list[ImportOutcome]:
    options.setdefault("settle_wait", SHORT_WAIT)
    return [o async for o in import_topics(service, records, **options)]


async def test_a_record_waiting_to_settle_does_not_hold_a_send_slot(
    emu: Emulator, client: TopicClient
) -> None:
    """One slot (concurrency=1); the first record's answer is lost, and its group read is
    held back until every other record is done: they can only be done if the waiting
    record gave its slot up."""
    held = HeldReads(client)
    records = [TopicRecord(group_id=GROUP, topic_name=f"slot {n}") for n in range(8)]
    emu.fail_next("import_topic", kind="drop_after")  # record 0's answer
    gauges = ImportGauges()
    outcomes: list[ImportOutcome] = []

    async def consume() -> None:
        async for outcome in import_topics(
            held, records, concurrency=1, settle_wait=SHORT_WAIT, gauges=gauges
        ):
            outcomes.append(outcome)
            if len(outcomes) == len(records) - 1:
                assert gauges.settling == 1  # record 0, parked
                held.release()

    await asyncio.wait_for(consume(), GUARD)
    assert [o.index for o in outcomes] == [*range(1, len(records)), 0]
    assert {o.status for o in outcomes} == {"imported"}
    assert len({o.topic_id for o in outcomes}) == len(records) == len(emu.topics(GROUP))
    assert emu.stats.commands["import_topic"].calls == len(records)  # none sent twice
    assert gauges.peak_in_flight == 1 and gauges.settling == 0


async def test_lost_answers_of_one_group_settle_in_one_read(
    emu: Emulator, client: TopicClient
) -> None:
    records = [TopicRecord(group_id=GROUP, topic_name=f"wave {n}") for n in range(20)]
    emu.fail_next("import_topic", kind="drop_after", times=len(records))
    outcomes = await asyncio.wait_for(imported(client, records, concurrency=20), GUARD)
    assert {o.status for o in outcomes} == {"imported"}
    assert len({o.topic_id for o in outcomes}) == len(records) == len(emu.topics(GROUP))
    assert emu.stats.commands["import_topic"].calls == len(records)
    assert emu.stats.commands["get_topic"].calls == 1


async def test_a_wave_goes_once_every_record_it_waits_for_has_joined(
    emu: Emulator, client: TopicClient
) -> None:
    """A window of an hour: the read still goes as soon as the records expected by then
    have asked (and at once when none is expected)."""
    await client.create_topic(GROUP, "there")
    reads = GroupReads(client, window=3600.0)
    loop = asyncio.get_running_loop()
    alone = await asyncio.wait_for(reads.read(GROUP), GUARD)
    assert alone.size == 1 and reads.reads == 1
    tokens = [reads.expect(GROUP, loop.time() + 0.01) for _ in range(3)]

    async def settle(token: int) -> GroupTopics:
        reads.forget(GROUP, token)  # its wait is over: it asks now
        return await reads.read(GROUP)

    first = asyncio.ensure_future(reads.read(GROUP))
    others = [asyncio.ensure_future(settle(token)) for token in tokens]
    results = await asyncio.wait_for(asyncio.gather(first, *others), GUARD)
    assert reads.reads == 2 and reads.requests == 5
    assert all(result is results[0] for result in results)
    assert [r.topic.topic_name for r in results[0].named("there") if r.topic] == ["there"]
    await reads.aclose()


async def test_a_settlement_never_uses_a_read_sent_before_it_began(
    emu: Emulator, client: TopicClient
) -> None:
    held = HeldReads(client)
    reads = GroupReads(held)
    early = asyncio.ensure_future(reads.read(GROUP))
    await asyncio.wait_for(held.answered.wait(), GUARD)  # the first read was answered
    await client.create_topic(GROUP, "made meanwhile")
    late = asyncio.ensure_future(reads.read(GROUP))  # asks after the first read went
    held.release()
    first, second = await asyncio.wait_for(asyncio.gather(early, late), GUARD)
    assert held.sent == 2 and reads.reads == 2
    assert first.named("made meanwhile") == []
    assert [r.ok for r in second.named("made meanwhile")] == [True]
    await reads.aclose()


async def test_a_group_read_is_indexed_by_name() -> None:
    results = [
        TopicResult(topic=Topic(topic_name=name, topic_id=tid))
        for name, tid in [("a", "1"), ("b", "2"), ("a", "3")]
    ]
    results.append(TopicResult(error_code=110003))
    topics = GroupTopics(results)
    assert topics.size == 4
    assert [r.topic.topic_id for r in topics.named("a") if r.topic] == ["1", "3"]
    assert topics.named("c") == []
