"""Finding the topic a lost create/import made: the pure matching rules."""

from __future__ import annotations

import pytest
from support.constants import GROUP

from tim_topics.bulk.settle import UncertainMatchError, assigned_by_service, pick_topic
from tim_topics.messages import CreateTopicRequest, ImportTopicRequest
from tim_topics.models import Topic, TopicResult


def assigned(suffix: str) -> str:
    return f"{GROUP}@TOPIC#_@TOPIC#c{suffix}"


def result(
    topic_id: str, name: str, create_time: int, *, error: int = 0, **fields: str
) -> TopicResult:
    topic = Topic(
        group_id=GROUP, topic_id=topic_id, topic_name=name, create_time=create_time, **fields
    )
    return TopicResult(error_code=error, topic=topic)


def nothing_claimed(_: str) -> bool:
    return False


IMPORT = ImportTopicRequest(group_id=GROUP, topic_name="news", create_time=1000)


def test_a_topic_with_the_name_and_time_is_found() -> None:
    results = [result(assigned("A"), "other", 1000), result(assigned("B"), "news", 1000)]
    assert pick_topic(results, IMPORT, noted_at=None, is_claimed=nothing_claimed) == assigned("B")


def test_another_create_time_is_not_a_match() -> None:
    results = [result(assigned("B"), "news", 999)]
    assert pick_topic(results, IMPORT, noted_at=None, is_claimed=nothing_claimed) is None


def test_custom_id_topics_and_failed_items_are_not_candidates() -> None:
    results = [
        result(f"{GROUP}@TOPIC#_news", "news", 1000),
        result(assigned("C"), "news", 1000, error=110003),
    ]
    assert pick_topic(results, IMPORT, noted_at=None, is_claimed=nothing_claimed) is None


def test_claimed_topics_are_skipped_so_twins_get_their_own() -> None:
    results = [result(assigned("A"), "news", 1000), result(assigned("B"), "news", 1000)]
    claimed = {assigned("A")}
    found = pick_topic(results, IMPORT, noted_at=None, is_claimed=claimed.__contains__)
    assert found == assigned("B")
    claimed.add(found)
    assert pick_topic(results, IMPORT, noted_at=None, is_claimed=claimed.__contains__) is None


def test_a_topic_that_differs_in_any_text_field_is_not_the_records() -> None:
    request = ImportTopicRequest(
        group_id=GROUP, topic_name="news", create_time=1000, introduction="mine"
    )
    theirs = result(assigned("A"), "news", 1000, introduction="theirs")
    assert pick_topic([theirs], request, noted_at=None, is_claimed=nothing_claimed) is None
    extra = result(assigned("B"), "news", 1000, introduction="mine", notification="set")
    assert pick_topic([extra], request, noted_at=None, is_claimed=nothing_claimed) is None
    mine = result(assigned("C"), "news", 1000, introduction="mine", notification="")
    found = pick_topic([theirs, extra, mine], request, noted_at=None, is_claimed=nothing_claimed)
    assert found == assigned("C")


def test_twins_are_taken_oldest_first() -> None:
    request = CreateTopicRequest(group_id=GROUP, topic_name="news")
    newer, older = result(assigned("N"), "news", 2000), result(assigned("O"), "news", 1500)
    found = pick_topic([newer, older], request, noted_at=2000.0, is_claimed=nothing_claimed)
    assert found == assigned("O")


def test_a_fitting_topic_without_a_creation_time_is_uncertain() -> None:
    request = CreateTopicRequest(group_id=GROUP, topic_name="news")
    timeless = TopicResult(
        error_code=0, topic=Topic(group_id=GROUP, topic_id=assigned("T"), topic_name="news")
    )
    with pytest.raises(UncertainMatchError, match="no creation time"):
        pick_topic([timeless], request, noted_at=2000.0, is_claimed=nothing_claimed)


def test_without_a_create_time_topics_older_than_the_send_are_not_candidates() -> None:
    request = CreateTopicRequest(group_id=GROUP, topic_name="news")
    old, new = result(assigned("A"), "news", 100), result(assigned("B"), "news", 10_000)
    found = pick_topic(
        [old, new], request, noted_at=10_000.0, is_claimed=nothing_claimed, clock_skew=60
    )
    assert found == assigned("B")
    assert (
        pick_topic([old], request, noted_at=10_000.0, is_claimed=nothing_claimed, clock_skew=60)
        is None
    )


def test_assigned_ids_are_told_from_custom_ones() -> None:
    assert assigned_by_service(assigned("X"), GROUP)
    assert not assigned_by_service(f"{GROUP}@TOPIC#_legacy-1", GROUP)
