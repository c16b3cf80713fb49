"""The mishaps of a migration (issue 11), each reproduced through the public API against
the emulator, and shown gone: nothing claimed that is not certainly the record's, unknown
outcomes kept apart, reused custom IDs refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.bulk import SHORT_WAIT
from support.constants import ADMIN, GROUP, SDKAPPID, SECRET

from tim_topics import TopicClient, TopicRecord
from tim_topics.bulk import JournalDestinationError, TopicIdConflictError, import_topics
from tim_topics.emulator import Emulator

pytestmark = pytest.mark.asyncio


async def run(client: TopicClient, records: list[TopicRecord], **options: object) -> list:  # type: ignore[type-arg]
    options.setdefault("settle_wait", SHORT_WAIT)
    outcomes = [o async for o in import_topics(client, records, **options)]  # type: ignore[arg-type]
    return sorted(outcomes, key=lambda outcome: outcome.index)


def intro_of(emu: Emulator, topic_id: str | None) -> str | None:
    [topic] = [t for t in emu.topics(GROUP) if t.topic_id == topic_id]
    return topic.introduction


# -- 1. settling claims only a certain match --------------------------------------------------


async def test_a_lost_create_is_not_settled_onto_an_older_topic_of_the_same_name(
    emu: Emulator, client: TopicClient
) -> None:
    older = await client.create_topic(GROUP, "News", introduction="an older, unrelated one")
    emu.fail_next("create_topic", kind="drop_before")  # never reached the service
    record = TopicRecord(group_id=GROUP, topic_name="News", introduction="ours")
    [outcome] = await run(client, [record], command="create")
    assert outcome.status == "imported"
    assert outcome.topic_id != older
    assert intro_of(emu, outcome.topic_id) == "ours"
    assert len(emu.topics(GROUP)) == 2


async def test_a_record_never_claims_another_records_topic(
    emu: Emulator, client: TopicClient
) -> None:
    one = TopicRecord(group_id=GROUP, topic_name="News", introduction="one")
    two = TopicRecord(group_id=GROUP, topic_name="News", introduction="two")
    emu.fail_next("create_topic", kind="drop_after")  # made, answer lost
    emu.fail_next("create_topic", kind="drop_before")  # never made
    outcomes = await run(client, [one, two], concurrency=2, command="create")
    assert [o.status for o in outcomes] == ["imported", "imported"]
    assert sorted(t.introduction or "" for t in emu.topics(GROUP)) == ["one", "two"]
    for outcome in outcomes:
        assert intro_of(emu, outcome.topic_id) == outcome.record.introduction


async def test_a_rerun_after_settling_sends_nothing_twice(
    emu: Emulator, client: TopicClient, tmp_path: Path
) -> None:
    records = [
        TopicRecord(group_id=GROUP, topic_name="News", introduction=text)
        for text in ("one", "two", "three")
    ]
    emu.fail_next("create_topic", kind="drop_after")
    emu.fail_next("create_topic", kind="drop_before")
    journal = tmp_path / "journal"
    await run(client, records, concurrency=3, command="create", journal=journal)
    again = await run(client, records, concurrency=3, command="create", journal=journal)
    assert all(outcome.earlier for outcome in again)
    assert sorted(t.introduction or "" for t in emu.topics(GROUP)) == ["one", "three", "two"]


# -- 4. a reused custom ID is a conflict, not a success -----------------------------------------


async def test_two_records_with_one_custom_id_and_different_names_are_a_conflict(
    emu: Emulator, client: TopicClient
) -> None:
    topic_id = f"{GROUP}@TOPIC#_shared"
    first = TopicRecord(group_id=GROUP, topic_name="first", topic_id=topic_id)
    second = TopicRecord(group_id=GROUP, topic_name="second", topic_id=topic_id)
    outcomes = await run(client, [first, second], concurrency=1)
    assert [o.status for o in outcomes] == ["imported", "failed"]
    assert isinstance(outcomes[1].error, TopicIdConflictError)
    assert outcomes[1].error.fields == ["TopicName"]
    assert [t.topic_name for t in emu.topics(GROUP)] == ["first"]


async def test_identical_records_with_one_custom_id_are_there_once(
    emu: Emulator, client: TopicClient
) -> None:
    record = TopicRecord(group_id=GROUP, topic_name="same", topic_id=f"{GROUP}@TOPIC#_same")
    outcomes = await run(client, [record, record], concurrency=1)
    assert [o.status for o in outcomes] == ["imported", "exists"]
    assert len(emu.topics(GROUP)) == 1


async def test_a_lost_answer_with_a_custom_id_is_still_exists(
    emu: Emulator, client: TopicClient
) -> None:
    emu.fail_next("import_topic", kind="drop_after")
    record = TopicRecord(group_id=GROUP, topic_name="mine", topic_id=f"{GROUP}@TOPIC#_mine")
    [outcome] = await run(client, [record])
    assert outcome.status == "exists"
    assert outcome.topic_id == record.topic_id


# -- 3. the journal knows its destination -------------------------------------------------------


async def test_a_journal_of_another_destination_is_refused(
    emu: Emulator, client: TopicClient, tmp_path: Path
) -> None:
    records = [TopicRecord(group_id=GROUP, topic_name=f"t{n}") for n in range(3)]
    journal = tmp_path / "journal"
    await run(client, records, journal=journal)
    async with Emulator(
        sdkappid=SDKAPPID + 1, secret_key=SECRET, identifier=ADMIN, groups=[GROUP]
    ) as production:
        async with TopicClient(SDKAPPID + 1, ADMIN, SECRET, base_url=production.url) as other:
            with pytest.raises(JournalDestinationError) as refused:
                await run(other, records, journal=journal)
            assert production.topics(GROUP) == []
            message = str(refused.value)
            assert f"app {SDKAPPID} at {emu.url}" in message
            assert f"app {SDKAPPID + 1} at {production.url}" in message


# -- 8. cheap settling: one read of a group serves the records settling together -------------


async def test_lost_answers_settling_together_share_one_group_read(
    emu: Emulator, client: TopicClient
) -> None:
    records = [TopicRecord(group_id=GROUP, topic_name=f"lost {n}") for n in range(12)]
    emu.fail_next("import_topic", kind="drop_after", times=len(records))
    outcomes = await run(client, records, concurrency=len(records))
    assert {o.status for o in outcomes} == {"imported"}
    assert len({o.topic_id for o in outcomes}) == len(records) == len(emu.topics(GROUP))
    assert emu.stats.commands["import_topic"].calls == len(records)  # none sent twice
    reads = emu.stats.commands["get_topic"].calls
    assert 1 <= reads <= len(records) // 3  # one read per record before
