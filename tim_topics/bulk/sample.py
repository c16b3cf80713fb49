"""Sample topics for the demo, the tests and the benchmarks: generated, never held in a list."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from ..models import TopicRecord
from ..validation import TOPIC_MARK

SAMPLE_GROUPS: Final = ("@TGS#_@TGS#cQVLVHIM62CJ", "@TGS#_@TGS#cBZXAIIM62CV")

#: Every this many records has a custom topic ID.
CUSTOM_ID_EVERY: Final = 4
_SUBJECTS: Final = ("General", "Announcements", "Help", "Off-topic", "闲聊", "公告", "Events")
_EPOCH: Final = 1_600_000_000


def sample_topic(number: int, groups: Sequence[str] = SAMPLE_GROUPS) -> dict[str, Any]:
    """Topic ``number`` as the request body's keys: names up to 30 UTF-8 bytes, some in
    Chinese, every fourth with a custom topic ID, all with a past creation time."""
    group_id = groups[number % len(groups)]
    subject = _SUBJECTS[number % len(_SUBJECTS)]
    body: dict[str, Any] = {
        "GroupId": group_id,
        "TopicName": f"{subject} {number}",
        "CreateTime": _EPOCH + number * 37,
        "Introduction": f"Imported topic number {number}",
    }
    if number % CUSTOM_ID_EVERY == 0:
        body["TopicId"] = f"{group_id}{TOPIC_MARK}legacy-{number}"
    return body


def sample_bodies(count: int, groups: Sequence[str] = SAMPLE_GROUPS) -> Iterator[dict[str, Any]]:
    for number in range(count):
        yield sample_topic(number, groups)


def sample_records(count: int, groups: Sequence[str] = SAMPLE_GROUPS) -> Iterator[TopicRecord]:
    """``count`` records, made one at a time."""
    for body in sample_bodies(count, groups):
        yield TopicRecord(
            group_id=body["GroupId"],
            topic_name=body["TopicName"],
            topic_id=body.get("TopicId"),
            create_time=body["CreateTime"],
            introduction=body["Introduction"],
        )


def write_sample(path: str | Path, count: int, groups: Sequence[str] = SAMPLE_GROUPS) -> Path:
    """Write ``count`` sample topics as JSON Lines to ``path``."""
    target = Path(path)
    with target.open("w", encoding="utf-8") as handle:
        for body in sample_bodies(count, groups):
            handle.write(json.dumps(body, ensure_ascii=False) + "\n")
    return target
