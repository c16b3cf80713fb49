"""Constants and record makers of the bulk importer's tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from tim_topics import TopicRecord
from tim_topics.bulk import ImportOutcome
from tim_topics.emulator import Emulator
from tim_topics.retry import RetryPolicy

from .constants import GROUP, OTHER_GROUP

GROUPS = (GROUP, OTHER_GROUP)
FAST = RetryPolicy(max_attempts=6, max_total=10.0, initial_wait=0.001, max_wait=0.02)
#: A settle wait short enough for tests (the default is the service's 3 s).
SHORT_WAIT = 0.05


def make_record(number: int, *, custom: bool = False, group: str = GROUP) -> TopicRecord:
    """Record ``number``: a unique name, a creation time, a custom ID when asked."""
    return TopicRecord(
        group_id=group,
        topic_name=f"topic {number}",
        topic_id=f"{group}@TOPIC#_t{number}" if custom else None,
        create_time=1_500_000_000 + number,
        introduction=f"intro {number}",
    )


def make_records(count: int, *, custom_every: int = 3) -> list[TopicRecord]:
    return [
        make_record(n, custom=custom_every > 0 and n % custom_every == 0, group=GROUPS[n % 2])
        for n in range(count)
    ]


def assert_accounted_for(
    outcomes: Sequence[ImportOutcome], records: Sequence[TopicRecord], emu: Emulator
) -> None:
    """One outcome per record; every topic in the emulator belongs to exactly one record
    that says it is there, with the record's name and time; no duplicates."""
    assert sorted(outcome.index for outcome in outcomes) == list(range(len(records)))
    topics = {topic.topic_id: topic for group in GROUPS for topic in emu.topics(group)}
    names = Counter((topic.group_id, topic.topic_name) for topic in topics.values())
    assert max(names.values(), default=1) == 1, names.most_common(3)
    claimed = [outcome.topic_id for outcome in outcomes if outcome.ok]
    assert len(claimed) == len(set(claimed))
    for outcome in outcomes:
        record = records[outcome.index]
        assert outcome.record == record
        if outcome.ok:
            topic = topics[outcome.topic_id]
            assert topic.topic_name == record.topic_name
            if record.create_time is not None:
                assert topic.create_time == record.create_time
    assert set(claimed) == set(topics)


def names_of(records: Iterable[TopicRecord]) -> set[tuple[str, str]]:
    return {(record.group_id, record.topic_name) for record in records}
