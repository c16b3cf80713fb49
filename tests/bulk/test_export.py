"""Export for moves between apps: every topic of some groups as records of the import
format, re-read by the importer to the same records; the round trip from one emulator to
another (another sdkappid) keeps topics, names, texts and creation times, and the ID map
covers every ID the service assigned."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
import pytest_asyncio
from support.bulk import FAST, GROUPS
from support.constants import ADMIN, GROUP, OTHER_GROUP, SDKAPPID, SECRET
from support.scripted import ScriptedServer, fail, ok

from tim_topics import TopicClient, TopicRecord
from tim_topics.bulk.export import (
    ExportItem,
    export_topics,
    is_custom_topic_id,
    record_line,
    topic_record,
)
from tim_topics.bulk.id_map import IdMapWriter, read_id_map
from tim_topics.bulk.inputs import read_records
from tim_topics.bulk.record_checks import checked_request
from tim_topics.emulator import Emulator
from tim_topics.errors import AuthError, ValidationError
from tim_topics.models import SourcedTopicRecord, Topic
from tim_topics.wire import to_wire

DEST_APP = SDKAPPID + 1
ASSIGNED_MARK = "@TOPIC#_@TOPIC#"


@pytest_asyncio.fixture
async def dest() -> AsyncIterator[Emulator]:
    async with Emulator(
        sdkappid=DEST_APP, secret_key=SECRET, identifier=ADMIN, groups=GROUPS, rate_limit=5000
    ) as emulator:
        yield emulator


@pytest_asyncio.fixture
async def dest_client(dest: Emulator) -> AsyncIterator[TopicClient]:
    async with TopicClient(
        DEST_APP, ADMIN, SECRET, base_url=dest.url, rate_limit=5000, adaptive=False, retry=FAST
    ) as topic_client:
        yield topic_client


async def fill(client: TopicClient, count: int = 12) -> None:
    """Topics with every text field, half with custom IDs, half with assigned ones."""
    for n in range(count):
        group = GROUPS[n % 2]
        await client.import_topic(
            group,
            f"话题 {n}" if n % 3 == 0 else f"topic {n}",
            topic_id=f"{group}@TOPIC#_legacy-{n}" if n % 2 == 0 else None,
            create_time=1_500_000_000 + n,
            introduction=f"intro {n}",
            notification=f"notice {n}" if n % 4 else None,
            face_url=f"https://x.test/{n}.png",
            custom_string=f"custom {n}",
        )


async def exported(client: TopicClient, groups: Sequence[str] = GROUPS) -> list[ExportItem]:
    return [item async for item in export_topics(client, groups)]


def content(topics: Sequence[Topic] | Sequence[TopicRecord]) -> set[tuple[object, ...]]:
    """What a move must keep: group, name, texts, creation time."""
    return {
        (
            topic.group_id,
            topic.topic_name,
            topic.introduction or None,
            topic.notification or None,
            topic.face_url or None,
            topic.custom_string or None,
            topic.create_time,
        )
        for topic in topics
    }


def write_export(path: Path, items: Sequence[ExportItem]) -> Path:
    path.write_bytes(b"".join(record_line(item.record) for item in items if item.record))
    return path


@pytest.mark.asyncio
async def test_export_yields_every_topic_in_the_import_format(
    emu: Emulator, client: TopicClient, tmp_path: Path
) -> None:
    await fill(client)
    items = await exported(client)
    assert [item.status for item in items] == ["exported"] * 12
    records = [item.record for item in items if item.record is not None]
    assert content(records) == content([t for g in GROUPS for t in emu.topics(g)])
    for item, record in zip(items, records, strict=True):
        assert item.topic_id is not None
        if ASSIGNED_MARK in item.topic_id:
            assert isinstance(record, SourcedTopicRecord)
            assert (record.topic_id, record.source_topic_id) == (None, item.topic_id)
        else:
            assert type(record) is TopicRecord and record.topic_id == item.topic_id
    # the file reads back to exactly the same records
    path = write_export(tmp_path / "export.jsonl", items)
    entries = list(read_records(path))
    assert [entry.error for entry in entries] == [None] * 12
    assert [entry.record for entry in entries] == records


def test_the_source_id_is_never_sent() -> None:
    record = SourcedTopicRecord(
        group_id=GROUP, topic_name="a", source_topic_id=f"{GROUP}{ASSIGNED_MARK}abc"
    )
    body = to_wire(checked_request(record, "import"))
    assert body == {"GroupId": GROUP, "TopicName": "a"}
    line = record_line(record)
    assert b'"SourceTopicId": "' + f"{GROUP}{ASSIGNED_MARK}abc".encode() + b'"' in line


def test_a_source_id_must_be_a_topic_id() -> None:
    with pytest.raises(ValidationError, match="printable ASCII"):
        SourcedTopicRecord(group_id=GROUP, topic_name="a", source_topic_id=f"{GROUP}@TOPIC#_\t")
    with pytest.raises(ValidationError, match="not a topic ID"):
        SourcedTopicRecord(group_id=GROUP, topic_name="a", source_topic_id="abc")


def test_custom_and_assigned_ids_are_told_apart() -> None:
    assert is_custom_topic_id(f"{GROUP}@TOPIC#_news", GROUP)
    assert not is_custom_topic_id(f"{GROUP}{ASSIGNED_MARK}cRTE3HIM62C5", GROUP)
    assert not is_custom_topic_id(f"{OTHER_GROUP}@TOPIC#_news", GROUP)


def test_a_group_map_moves_custom_ids_and_keeps_the_old_one_as_source() -> None:
    target = "@TGS#_new-home"
    custom = Topic(group_id=GROUP, topic_id=f"{GROUP}@TOPIC#_news", topic_name="n")
    record = topic_record(custom, group_id=target)
    assert isinstance(record, SourcedTopicRecord)
    assert record.topic_id == f"{target}@TOPIC#_news"
    assert record.source_topic_id == f"{GROUP}@TOPIC#_news"
    assigned = Topic(group_id=GROUP, topic_id=f"{GROUP}{ASSIGNED_MARK}X1", topic_name="n")
    moved = topic_record(assigned, group_id=target)
    assert isinstance(moved, SourcedTopicRecord) and moved.topic_id is None
    # a moved custom ID that no longer fits is refused, not cut
    long_id = Topic(group_id=GROUP, topic_id=f"{GROUP}@TOPIC#_{'x' * 60}", topic_name="n")
    with pytest.raises(ValidationError, match="96"):
        topic_record(long_id, group_id="@TGS#_" + "g" * 40)


@pytest.mark.asyncio
async def test_groups_that_cannot_be_read_are_failed_items_and_others_go_on(
    emu: Emulator, client: TopicClient
) -> None:
    await fill(client, 4)
    emu.add_group("@TGS#_no-topics", topics=False)
    groups = [GROUP, "@TGS#_missing", "@TGS#_no-topics", OTHER_GROUP]
    items = await exported(client, groups)
    failed = {item.group_id: item for item in items if item.status == "failed"}
    assert set(failed) == {"@TGS#_missing", "@TGS#_no-topics"}
    assert all(item.topic_id is None and item.error is not None for item in failed.values())
    assert sum(item.ok for item in items) == 4
    # bad group IDs are refused before any request
    calls = emu.stats["get_topic"].calls
    with pytest.raises(ValidationError, match=r"group_ids\[1\]"):
        await exported(client, [GROUP, "not-a-community"])
    assert emu.stats["get_topic"].calls == calls


@pytest.mark.asyncio
async def test_groups_are_read_at_once_and_reported_in_order(
    emu: Emulator, client: TopicClient
) -> None:
    groups = [f"@TGS#_g{n}" for n in range(9)]
    for n, group in enumerate(groups):
        emu.add_group(group)
        for k in range(n % 3):
            await client.import_topic(group, f"t{k}", create_time=1_500_000_000 + k)
    read: list[str] = []
    items = [
        item
        async for item in export_topics(client, groups, concurrency=3, on_group_read=read.append)
    ]
    assert read == groups  # empty groups are counted too
    order = [item.group_id for item in items]
    assert order == sorted(order, key=groups.index)
    assert len(items) == sum(n % 3 for n in range(9))


@pytest.mark.asyncio
async def test_round_trip_between_two_apps_keeps_every_topic_and_maps_every_id(
    emu: Emulator,
    client: TopicClient,
    dest: Emulator,
    dest_client: TopicClient,
    tmp_path: Path,
) -> None:
    await fill(client, 20)
    first = await exported(client)
    path = write_export(tmp_path / "moved.jsonl", first)
    records = [entry.record for entry in read_records(path) if entry.record is not None]
    assert len(records) == 20

    map_path = tmp_path / "ids.tsv"
    with IdMapWriter(map_path) as id_map:
        async for outcome in dest_client.import_topics(records, concurrency=8):
            assert outcome.status == "imported", outcome.error
            id_map.add(outcome)

    second = await exported(dest_client)
    before = [item.record for item in first if item.record is not None]
    after = [item.record for item in second if item.record is not None]
    assert content(after) == content(before)
    assert len(after) == 20
    # custom IDs are kept as they are
    custom = {r.topic_id for r in before if r.topic_id is not None}
    assert custom == {
        r.topic_id for r in after if r.topic_id is not None and type(r) is TopicRecord
    }
    assert len(custom) == 10
    # the map covers every assigned ID, pointing at the topic of the same name
    assigned = {
        item.topic_id: item.record for item in first if type(item.record) is not TopicRecord
    }
    mapping = read_id_map(map_path)
    assert set(mapping) == set(assigned) and len(mapping) == 10
    dest_topics = {t.topic_id: t for g in GROUPS for t in dest.topics(g)}
    for source_id, new_id in mapping.items():
        record = assigned[source_id]
        assert record is not None
        assert dest_topics[new_id].topic_name == record.topic_name
        assert dest_topics[new_id].create_time == record.create_time


@pytest.mark.asyncio
async def test_per_topic_errors_deleted_topics_are_skipped_others_failed(
    scripted: ScriptedServer,
) -> None:
    live = {"TopicId": f"{GROUP}{ASSIGNED_MARK}LIVE", "GroupID": GROUP, "TopicName": "live"}
    scripted.reply(
        ok(
            TopicAndSelfInfo=[
                {"ErrorCode": 0, "ErrorInfo": "ok", "TopicInfo": {**live, "CreateTime": 7}},
                {
                    "ErrorCode": 110003,
                    "ErrorInfo": "topic deleted",
                    "TopicInfo": {"TopicId": f"{GROUP}@TOPIC#_gone"},
                },
                {
                    "ErrorCode": 10007,
                    "ErrorInfo": "no permission",
                    "TopicInfo": {"TopicId": f"{GROUP}@TOPIC#_secret"},
                },
            ]
        )
    )
    async with TopicClient(
        SDKAPPID, ADMIN, SECRET, base_url=scripted.url, adaptive=False, retry=FAST
    ) as client:
        items = await exported(client, [GROUP])
    assert [(item.topic_id, item.status) for item in items] == [
        (live["TopicId"], "exported"),
        (f"{GROUP}@TOPIC#_gone", "deleted"),
        (f"{GROUP}@TOPIC#_secret", "failed"),
    ]
    assert items[0].record == SourcedTopicRecord(
        group_id=GROUP, topic_name="live", create_time=7, source_topic_id=live["TopicId"]
    )
    assert "10007" in str(items[2].error)
    assert scripted.seen[0].body == {"GroupId": GROUP, "From_Account": ADMIN}


@pytest.mark.asyncio
async def test_refused_credentials_stop_the_export(scripted: ScriptedServer) -> None:
    scripted.default = fail(70009, "usersig verification failed")
    async with TopicClient(
        SDKAPPID, ADMIN, SECRET, base_url=scripted.url, adaptive=False, retry=FAST
    ) as client:
        with pytest.raises(AuthError):
            await exported(client, [GROUP, OTHER_GROUP])


@pytest.mark.asyncio
async def test_a_resumed_import_writes_the_whole_id_map_again(
    client: TopicClient, dest_client: TopicClient, tmp_path: Path
) -> None:
    await fill(client, 6)
    records = [item.record for item in await exported(client) if item.record is not None]
    journal = tmp_path / "move.journal"
    first_map, second_map = tmp_path / "first.tsv", tmp_path / "second.tsv"
    with IdMapWriter(first_map) as id_map:
        async for outcome in dest_client.import_topics(records, journal=journal):
            id_map.add(outcome)
    with IdMapWriter(second_map) as id_map:
        async for outcome in dest_client.import_topics(records, journal=journal):
            assert outcome.earlier
            id_map.add(outcome)
    assert read_id_map(second_map) == read_id_map(first_map)
    assert len(read_id_map(first_map)) == 3
    assert not (tmp_path / "second.tsv.tmp").exists()
