"""The bulk engine against the emulator: one outcome per record, streaming with
backpressure, validation, cancellation, custom IDs, settling lost answers, resuming."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from support.bulk import FAST, SHORT_WAIT, assert_accounted_for, make_record, make_records
from support.constants import ADMIN, GROUP, SDKAPPID

from tim_topics import (
    AuthError,
    OutcomeUnknownError,
    TopicClient,
    TopicRecord,
    ValidationError,
)
from tim_topics.bulk import Journal, JournalMismatchError, TopicIdConflictError, import_topics
from tim_topics.bulk.journal import digest
from tim_topics.emulator import Emulator

pytestmark = pytest.mark.asyncio


async def collect(client: TopicClient, records: object, **options: object) -> list:  # type: ignore[type-arg]
    options.setdefault("settle_wait", SHORT_WAIT)
    return [outcome async for outcome in client.import_topics(records, **options)]  # type: ignore[arg-type]


def calls(emu: Emulator, command: str) -> int:
    return emu.stats.commands[command].calls


async def test_every_record_gets_one_outcome_and_is_imported(
    emu: Emulator, client: TopicClient
) -> None:
    records = make_records(60)
    outcomes = await collect(client, records, concurrency=8)
    assert {outcome.status for outcome in outcomes} == {"imported"}
    assert_accounted_for(outcomes, records, emu)
    for outcome in outcomes:
        if outcome.record.topic_id is not None:
            assert outcome.topic_id == outcome.record.topic_id
    assert calls(emu, "import_topic") == 60


async def test_an_async_iterable_is_imported_too(emu: Emulator, client: TopicClient) -> None:
    records = make_records(20)

    async def produce() -> AsyncIterator[TopicRecord]:
        for record in records:
            await asyncio.sleep(0)
            yield record

    outcomes = await collect(client, produce(), concurrency=4)
    assert_accounted_for(outcomes, records, emu)


async def test_input_is_read_only_as_fast_as_workers_free_up(client: TopicClient) -> None:
    consumed = 0

    def endless() -> Iterator[TopicRecord]:
        nonlocal consumed
        for number in range(1_000_000):
            consumed += 1
            yield make_record(number)

    concurrency = 4
    outcomes = client.import_topics(endless(), concurrency=concurrency)
    first = await anext(outcomes)
    assert first.status == "imported"
    await asyncio.sleep(0.3)  # the consumer dawdles: the workers must wait, not read ahead
    # read = 1 consumed + at most `concurrency` queued + one blocked in each worker
    assert consumed <= 2 * concurrency + 1
    await outcomes.aclose()
    after_close = consumed
    await asyncio.sleep(0.1)
    assert consumed == after_close


async def test_closing_the_iterator_cancels_the_workers(client: TopicClient) -> None:
    outcomes = client.import_topics((make_record(n) for n in range(10_000)), concurrency=8)
    async for _ in outcomes:
        break
    await outcomes.aclose()
    await asyncio.sleep(0)
    workers = [
        task for task in asyncio.all_tasks() if task.get_name().startswith("tim-topics-import")
    ]
    assert workers == []


async def test_invalid_records_fail_at_once_and_send_nothing(
    emu: Emulator, client: TopicClient
) -> None:
    records = [
        make_record(0),
        TopicRecord(group_id=GROUP, topic_name="x" * 31),
        TopicRecord(group_id="not-a-community", topic_name="fine"),
        TopicRecord(group_id=GROUP, topic_name=""),
        make_record(4),
    ]
    outcomes = sorted(await collect(client, records), key=lambda o: o.index)
    assert [o.status for o in outcomes] == ["imported", "failed", "failed", "failed", "imported"]
    assert isinstance(outcomes[1].error, ValidationError)
    assert "topic_name is 31 bytes, the limit is 30" in str(outcomes[1].error)
    assert isinstance(outcomes[2].error, ValidationError)
    assert outcomes[2].error.field == "group_id"
    assert calls(emu, "import_topic") == 2


async def test_create_refuses_a_creation_time(emu: Emulator, client: TopicClient) -> None:
    [outcome] = await collect(client, [make_record(1)], command="create")
    assert outcome.status == "failed"
    assert isinstance(outcome.error, ValidationError)
    assert outcome.error.field == "create_time"
    assert calls(emu, "create_topic") == 0


async def test_create_command_sends_create_topic(emu: Emulator, client: TopicClient) -> None:
    record = TopicRecord(group_id=GROUP, topic_name="made by create")
    [outcome] = await collect(client, [record], command="create")
    assert outcome.status == "imported"
    assert calls(emu, "create_topic") == 1
    assert [t.topic_id for t in emu.topics(GROUP)] == [outcome.topic_id]


async def test_a_custom_id_already_there_is_exists(emu: Emulator, client: TopicClient) -> None:
    record = make_record(7, custom=True)
    assert record.topic_id is not None and record.create_time is not None
    await client.import_topic(
        GROUP,
        record.topic_name,
        topic_id=record.topic_id,
        create_time=record.create_time,
        introduction=record.introduction,
    )
    [outcome] = await collect(client, [record])
    assert outcome.status == "exists"
    assert outcome.topic_id == record.topic_id
    assert outcome.error is None


async def test_a_custom_id_in_use_by_another_topic_is_a_conflict(
    emu: Emulator, client: TopicClient
) -> None:
    record = make_record(7, custom=True)
    await client.import_topic(GROUP, "theirs", topic_id=record.topic_id)
    [outcome] = await collect(client, [record])
    assert outcome.status == "failed"
    assert isinstance(outcome.error, TopicIdConflictError)
    assert outcome.error.fields == ["TopicName", "CreateTime", "Introduction"]
    assert "TopicName ('theirs' there, 'topic 7' here)" in str(outcome.error)


async def test_a_custom_id_whose_answer_was_lost_is_exists(
    emu: Emulator, client: TopicClient
) -> None:
    emu.fail_next("import_topic", kind="drop_after")
    record = make_record(8, custom=True)
    [outcome] = await collect(client, [record])
    assert outcome.status == "exists"
    assert [t.topic_id for t in emu.topics(GROUP)] == [record.topic_id]


async def test_a_lost_answer_without_id_is_settled_not_resent(
    emu: Emulator, client: TopicClient
) -> None:
    emu.fail_next("import_topic", kind="drop_after")
    record = make_record(9)
    [outcome] = await collect(client, [record])
    [topic] = emu.topics(GROUP)
    assert outcome.status == "imported"
    assert outcome.topic_id == topic.topic_id
    assert calls(emu, "import_topic") == 1
    assert calls(emu, "get_topic") == 1


async def test_a_request_lost_before_the_work_is_sent_again(
    emu: Emulator, client: TopicClient
) -> None:
    emu.fail_next("import_topic", kind="drop_before")
    [outcome] = await collect(client, [make_record(10)])
    [topic] = emu.topics(GROUP)
    assert outcome.status == "imported"
    assert outcome.topic_id == topic.topic_id
    assert calls(emu, "import_topic") == 2


async def test_identical_records_each_get_their_own_topic(
    emu: Emulator, client: TopicClient
) -> None:
    twin = make_record(11)
    emu.fail_next("import_topic", kind="drop_after", times=2)
    outcomes = await collect(client, [twin, twin], concurrency=2)
    ids = {outcome.topic_id for outcome in outcomes}
    assert {outcome.status for outcome in outcomes} == {"imported"}
    assert ids == {topic.topic_id for topic in emu.topics(GROUP)}
    assert len(ids) == 2
    assert calls(emu, "import_topic") == 2


async def test_an_unreadable_group_leaves_the_outcome_unknown(
    emu: Emulator, client: TopicClient, tmp_path: Path
) -> None:
    emu.fail_next("import_topic", kind="drop_after")
    emu.fail_next("get_topic", kind="http_502", times=100)
    journal = tmp_path / "journal"
    [outcome] = await collect(client, [make_record(12)], journal=journal)
    assert outcome.status == "unknown"
    assert not outcome.ok
    assert isinstance(outcome.error, OutcomeUnknownError)
    assert "outcome is unknown" in str(outcome.error)
    assert len(emu.topics(GROUP)) == 1
    assert calls(emu, "import_topic") == 1
    with Journal.open(journal) as book:
        row = book.row(0)
        assert row is not None and row.state == "unknown"
    # The next run settles it: found, not sent again.
    emu.clear_faults()
    [again] = await collect(client, [make_record(12)], journal=journal)
    assert again.status == "imported"
    assert again.topic_id == emu.topics(GROUP)[0].topic_id
    assert calls(emu, "import_topic") == 1


async def test_a_second_run_skips_what_is_done(
    emu: Emulator, client: TopicClient, tmp_path: Path
) -> None:
    records = make_records(40)
    journal = tmp_path / "journal"
    first = client.import_topics(records, concurrency=4, journal=journal)
    done = []
    async for outcome in first:
        done.append(outcome)
        if len(done) == 10:
            break
    await first.aclose()
    assert len(done) == 10
    outcomes = await collect(client, records, concurrency=4, journal=journal)
    assert_accounted_for(outcomes, records, emu)
    earlier = {outcome.index for outcome in outcomes if outcome.earlier}
    assert {outcome.index for outcome in done} <= earlier
    assert calls(emu, "import_topic") == 40


async def test_pending_rows_of_a_dead_run_are_settled_first(
    emu: Emulator, client: TopicClient, tmp_path: Path
) -> None:
    made, absent = make_record(20), make_record(21)
    path = tmp_path / "journal"
    with Journal.open(path) as book:  # a run that died with both requests in flight
        for index, record in enumerate((made, absent)):
            await book.note_pending(index, digest=digest(repr(record).encode()), noted_at=1e9)
    await client.import_topic(
        GROUP, made.topic_name, create_time=made.create_time, introduction=made.introduction
    )
    outcomes = sorted(await collect(client, [made, absent], journal=path), key=lambda o: o.index)
    assert [o.status for o in outcomes] == ["imported", "imported"]
    assert calls(emu, "import_topic") == 2  # the direct import and the absent record only
    assert_accounted_for(outcomes, [made, absent], emu)


async def test_a_changed_input_is_refused(client: TopicClient, tmp_path: Path) -> None:
    path = tmp_path / "journal"
    await collect(client, [make_record(30)], journal=path)
    with pytest.raises(JournalMismatchError, match="input changed"):
        await collect(client, [make_record(31)], journal=path)


async def test_refused_credentials_stop_the_import(emu: Emulator) -> None:
    consumed = 0

    def records() -> Iterator[TopicRecord]:
        nonlocal consumed
        for number in range(10_000):
            consumed += 1
            yield make_record(number)

    wrong_key = "0" * 64
    async with TopicClient(SDKAPPID, ADMIN, wrong_key, base_url=emu.url, retry=FAST) as client:
        outcomes = []
        with pytest.raises(AuthError):
            async for outcome in import_topics(client, records(), concurrency=4):
                outcomes.append(outcome)
    assert consumed < 100
    assert all(outcome.status == "failed" for outcome in outcomes)


async def test_an_item_that_is_not_a_record_raises(client: TopicClient) -> None:
    with pytest.raises(TypeError, match="not a TopicRecord"):
        await collect(client, [{"group_id": GROUP, "topic_name": "x"}])


async def test_options_are_checked_at_call_time(client: TopicClient) -> None:
    with pytest.raises(ValidationError, match="concurrency"):
        client.import_topics([], concurrency=0)
    with pytest.raises(ValidationError, match="command"):
        client.import_topics([], command="upsert")  # type: ignore[arg-type]
