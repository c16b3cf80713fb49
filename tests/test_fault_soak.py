"""The reliability soak: 3,000 records imported while the emulator injects 10002 (5 %),
10006 (2 %), gateway 502s with HTML (2 %), connections dropped before (1 %) and after
(1 %) the work, and jittered latency. Every record ends in exactly one outcome, no topic
is created twice, nothing is lost, and the outcomes match the emulator's state."""

from __future__ import annotations

from collections import Counter

import pytest
from support.constants import ADMIN, GROUP, OTHER_GROUP, SDKAPPID, SECRET

from tim_topics import RetryPolicy, TopicClient, TopicRecord
from tim_topics.emulator import Emulator

RECORDS = 3000


def records() -> list[TopicRecord]:
    made = []
    for n in range(RECORDS):
        group = GROUP if n % 2 else OTHER_GROUP
        made.append(
            TopicRecord(
                group_id=group,
                topic_name=f"soak {n}",
                topic_id=f"{group}@TOPIC#_soak-{n}" if n % 3 == 0 else None,
                create_time=1_600_000_000 + n,
                introduction="话" * (n % 80),
            )
        )
    return made


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", [7])
async def test_fault_soak(seed: int) -> None:
    wanted = records()
    async with Emulator(
        sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP, OTHER_GROUP], rate_limit=5000
    ) as emu:
        emu.set_faults(
            error_rate={10002: 0.05, 10006: 0.02},
            http_502_rate=0.02,
            drop_before_rate=0.01,
            drop_after_rate=0.01,
            latency_ms=2,
            jitter_ms=2,
            seed=seed,
        )
        retry = RetryPolicy(max_attempts=10, initial_wait=0.005, max_wait=0.05)
        async with TopicClient(
            SDKAPPID, ADMIN, SECRET, base_url=emu.url, rate_limit=5000, adaptive=False, retry=retry
        ) as client:
            outcomes = [
                outcome
                async for outcome in client.import_topics(
                    wanted, concurrency=32, settle_wait=0.05, max_sends=5
                )
            ]
        stats = emu.stats["import_topic"]
        stored = {group: emu.topics(group) for group in (GROUP, OTHER_GROUP)}

    # the faults really happened
    assert stats.answers.get(10002, 0) > 50 and stats.answers.get(10006, 0) > 20
    assert stats.http_502 > 20 and stats.dropped_before > 5 and stats.dropped_after > 5

    # exactly one outcome per record
    assert sorted(o.index for o in outcomes) == list(range(RECORDS))
    for outcome in outcomes:
        assert outcome.record == wanted[outcome.index]
    # nothing lost: every record is there
    assert {o.status for o in outcomes} <= {"imported", "exists"}, [
        (o.index, o.error) for o in outcomes if o.status == "failed"
    ][:5]
    # no topic twice, and the outcomes are the emulator's state
    everything = [topic for topics in stored.values() for topic in topics]
    assert len(everything) == RECORDS
    names = Counter(topic.topic_name for topic in everything)
    assert max(names.values()) == 1
    by_id = {topic.topic_id: topic for topic in everything}
    for outcome in outcomes:
        topic = by_id[outcome.topic_id]
        record = outcome.record
        assert (topic.group_id, topic.topic_name, topic.create_time) == (
            record.group_id,
            record.topic_name,
            record.create_time,
        )
        if record.topic_id is not None:
            assert topic.topic_id == record.topic_id
    # a lost answer with a custom ID was re-sent and found in use: "exists"
    assert {o.status for o in outcomes if o.record.topic_id is None} == {"imported"}
