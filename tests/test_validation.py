"""Input checks: each names the field, its size and the limit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tim_topics.errors import ValidationError
from tim_topics.validation import (
    check_account,
    check_bool,
    check_create_time,
    check_group_id,
    check_text,
    check_topic_id,
    check_topic_ids,
)

G = "@TGS#_@TGS#cQVLVHIM62CJ"


@pytest.mark.parametrize(
    ("field", "limit"),
    [("topic_name", 30), ("introduction", 240), ("notification", 300), ("custom_string", 3000)],
)
def test_utf8_byte_limits_at_the_boundary(field: str, limit: int) -> None:
    # 3-byte characters up to the limit pass; one more byte fails.
    fits = "话" * (limit // 3) + "a" * (limit % 3)
    assert len(fits.encode()) == limit
    assert check_text(field, fits) == fits
    with pytest.raises(ValidationError) as caught:
        check_text(field, fits + "a")
    assert caught.value.field == field
    assert str(caught.value) == f"{field} is {limit + 1} bytes, the limit is {limit} (UTF-8 bytes)"


def test_a_three_byte_character_straddling_the_limit() -> None:
    with pytest.raises(ValidationError, match="topic_name is 32 bytes, the limit is 30"):
        check_text("topic_name", "a" * 29 + "话")


def test_face_url_limit() -> None:
    check_text("face_url", "h" * 100)
    with pytest.raises(ValidationError, match="face_url is 101 bytes, the limit is 100"):
        check_text("face_url", "h" * 101)


def test_empty_name_and_wrong_types() -> None:
    with pytest.raises(ValidationError, match="topic_name is empty"):
        check_text("topic_name", "", required=True)
    with pytest.raises(ValidationError, match="topic_name must be a str, not int"):
        check_text("topic_name", 5)
    with pytest.raises(ValidationError, match="not valid UTF-8"):
        check_text("topic_name", "bad\udcff")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "group_id is empty"),
        ("@TGS#cQVLVHIM62CJ", "not a community group ID"),
        ("@TGS#_", "not a community group ID"),
        ("@TGS#_" + "x" * 42, "group_id is 48 bytes, the limit is 47"),
        ("@TGS#_é", "printable ASCII"),
        (12, "group_id must be a str"),
    ],
)
def test_group_ids(value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        check_group_id(value)


def test_valid_group_id() -> None:
    assert check_group_id(G) == G


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("@TGS#_other@TOPIC#_x", "must start with the group ID"),
        (G + "@TOPIC#_", "empty part"),
        (G + "@TOPIC#_a\tb", "printable ASCII"),
        (G + "@TOPIC#_" + "x" * 66, "topic_id is 97 bytes, the limit is 96"),
        (G + "@TOPIC#_a@TGS#_b", "must not contain '@TGS#_'"),
        (G + "@TOPIC#_@TOPIC#cRTE3HIM62C5", "must not start with or contain '@TOPIC#'"),
    ],
)
def test_custom_topic_ids(value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        check_topic_id(value, G, custom=True)


def test_assigned_topic_ids_are_fine_for_existing_topics() -> None:
    assigned = G + "@TOPIC#_@TOPIC#cRTE3HIM62C5"
    assert check_topic_id(assigned, G, custom=False) == assigned
    assert check_topic_id(G + "@TOPIC#_" + "x" * 65, G, custom=True)  # exactly 96 bytes


def test_topic_id_lists() -> None:
    with pytest.raises(ValidationError, match="topic_ids is empty"):
        check_topic_ids([], G)
    with pytest.raises(ValidationError, match="must be a list"):
        check_topic_ids(G + "@TOPIC#_x", G)
    with pytest.raises(ValidationError, match=r"topic_ids\[1\]"):
        check_topic_ids([G + "@TOPIC#_x", "nope"], G)


def test_create_time() -> None:
    assert check_create_time(1448357837) == 1448357837
    aware = datetime(2015, 11, 24, 17, 37, 17, tzinfo=timezone(timedelta(hours=8)))
    assert check_create_time(aware) == 1448357837
    with pytest.raises(ValidationError, match="naive datetime"):
        check_create_time(datetime(2015, 11, 24))
    with pytest.raises(ValidationError, match="fraction of a second"):
        check_create_time(aware.replace(microsecond=5))
    with pytest.raises(ValidationError, match="must be an int"):
        check_create_time(True)
    with pytest.raises(ValidationError, match="outside 0 to 4294967295"):
        check_create_time(-1)


def test_account_and_bool() -> None:
    assert check_account("1400187352") == "1400187352"
    with pytest.raises(ValidationError, match="from_account is empty"):
        check_account("")
    with pytest.raises(ValidationError, match="from_account must be a str, not int"):
        check_account(1400187352)
    with pytest.raises(ValidationError, match="must be a bool"):
        check_bool("On", "mute_all_member")
