"""Reading JSON Lines and CSV input: records, bad lines with their line numbers and reasons
worded with the file's keys, raw bytes kept for the failures file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tim_topics import TopicRecord
from tim_topics.bulk.inputs import (
    InputFormatError,
    count_records,
    csv_header,
    input_format,
    read_records,
)

GROUP = "@TGS#_@TGS#cQVLVHIM62CJ"


def line(**body: object) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode() + b"\n"


def test_jsonl_records_use_the_request_body_keys(tmp_path: Path) -> None:
    path = tmp_path / "topics.jsonl"
    path.write_bytes(
        line(
            GroupId=GROUP,
            TopicName="公告",
            TopicId=f"{GROUP}@TOPIC#_news",
            CreateTime=1448357837,
            From_Account="user1",
            CustomString="c",
            FaceUrl="http://x/y.png",
            Notification="n",
            Introduction="i",
            Type="Community",
        )
    )
    [entry] = read_records(path)
    assert entry.error is None
    assert entry.record == TopicRecord(
        group_id=GROUP,
        topic_name="公告",
        topic_id=f"{GROUP}@TOPIC#_news",
        create_time=1448357837,
        from_account="user1",
        custom_string="c",
        face_url="http://x/y.png",
        notification="n",
        introduction="i",
    )
    assert (entry.index, entry.line, entry.raw) == (0, 1, path.read_bytes())


def test_bad_lines_are_reported_with_their_numbers_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "topics.jsonl"
    lines = [line(GroupId=GROUP, TopicName=f"t{n}") for n in range(700)]
    lines[699] = line(GroupId=GROUP, TopicName="x" * 31)  # line 700
    lines[2] = b'{"GroupId": "' + GROUP.encode() + b'", "TopicName": \n'  # line 3: broken
    lines[4] = line(GroupId=GROUP)  # line 5: no name
    lines[6] = b'{"GroupId": "' + GROUP.encode() + b'", "TopicName": "\xff\xfe"}\n'  # line 7
    lines[8] = line(GroupId=GROUP, TopicName="t", Topicname="typo")  # line 9
    lines[10] = line(GroupId=GROUP, TopicName="t", CreateTime="1448357837")  # line 11
    path.write_bytes(b"".join(lines))
    entries = list(read_records(path))
    assert len(entries) == 700
    bad = {entry.line: entry.error for entry in entries if entry.error is not None}
    assert bad[700] == "TopicName is 31 bytes, the limit is 30 (UTF-8 bytes)"
    assert bad[3] is not None and bad[3].startswith("not valid JSON")
    assert bad[5] == "TopicName is missing"
    column = lines[6].index(b"\xff") + 1
    assert bad[7] == f"not valid UTF-8 (byte 0xff at column {column})"
    assert bad[9] is not None and "unknown key 'Topicname'" in bad[9]
    assert bad[11] == "CreateTime must be an integer (Unix seconds), not str"
    assert set(bad) == {3, 5, 7, 9, 11, 700}
    assert entries[6].raw == lines[6]


def test_group_id_fills_in_only_what_is_missing(tmp_path: Path) -> None:
    other = "@TGS#_@TGS#cBZXAIIM62CV"
    path = tmp_path / "topics.jsonl"
    path.write_bytes(line(TopicName="a") + line(GroupId=other, TopicName="b"))
    missing = list(read_records(path))
    assert missing[0].error == "GroupId is missing (give it here or with --group-id)"
    first, second = read_records(path, group_id=GROUP)
    assert first.record is not None and first.record.group_id == GROUP
    assert second.record is not None and second.record.group_id == other


def test_blank_lines_are_not_records_and_a_bom_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "topics.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + line(GroupId=GROUP, TopicName="a")
        + b"\n  \n"
        + line(GroupId=GROUP, TopicName="b")
    )
    entries = list(read_records(path))
    assert [(e.index, e.line, e.error) for e in entries] == [(0, 1, None), (1, 4, None)]
    assert count_records(path) == 2


def test_a_creation_time_with_the_create_command_is_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "topics.jsonl"
    path.write_bytes(line(GroupId=GROUP, TopicName="a", CreateTime=5))
    [entry] = read_records(path, command="create")
    assert entry.error is not None and entry.error.startswith("CreateTime is given")


def test_csv_with_the_keys_as_headers(tmp_path: Path) -> None:
    path = tmp_path / "topics.csv"
    path.write_bytes(
        b"GroupId,TopicName,CreateTime,Introduction\r\n"
        + GROUP.encode()
        + b",hello,1448357837,\r\n"
        + GROUP.encode()
        + b',"two\nlines",,"with, comma"\r\n'
        + GROUP.encode()
        + b",,,\r\n"
        + GROUP.encode()
        + b",x,yesterday,\r\n"
        + GROUP.encode()
        + b",short\r\n"
        + GROUP.encode()
        + b",\xff,,\r\n"
    )
    assert input_format(path) == "csv"
    entries = list(read_records(path))
    assert [entry.line for entry in entries] == [2, 3, 5, 6, 7, 8]
    first, second = entries[0].record, entries[1].record
    assert first == TopicRecord(group_id=GROUP, topic_name="hello", create_time=1448357837)
    assert second == TopicRecord(
        group_id=GROUP, topic_name="two\nlines", introduction="with, comma"
    )
    assert entries[1].raw == GROUP.encode() + b',"two\nlines",,"with, comma"\r\n'
    assert [entry.error for entry in entries[2:]] == [
        "TopicName is empty; it must have 1 to 30 bytes",
        "CreateTime must be Unix seconds (digits), not 'yesterday'",
        "2 values, but the header has 4 columns",
        "TopicName is not valid UTF-8 (at character 1)",
    ]
    assert count_records(path) == 6
    assert csv_header(path) == b"GroupId,TopicName,CreateTime,Introduction\r\n"


def test_an_unknown_csv_column_stops_before_any_record(tmp_path: Path) -> None:
    path = tmp_path / "topics.csv"
    path.write_bytes(b"GroupId,Name\n" + GROUP.encode() + b",x\n")
    with pytest.raises(InputFormatError, match="unknown column 'Name'"):
        list(read_records(path))


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="cannot read"):
        list(read_records(tmp_path / "nope.jsonl"))
