"""Reading JSON Lines and CSV input: records, bad lines with their line numbers and reasons
worded with the file's keys, raw bytes kept for the failures file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.constants import GROUP

from tim_topics import TopicRecord
from tim_topics.bulk.inputs import (
    MAX_LINE_BYTES,
    InputFormatError,
    count_records,
    csv_header,
    input_format,
    read_records,
)
from tim_topics.models import SourcedTopicRecord


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


# -- any line is a bad line, not a crash ------------------------------------------------------


def good(name: str = "ok") -> bytes:
    return line(GroupId=GROUP, TopicName=name)


def errors_by_line(path: Path) -> dict[int, str | None]:
    entries = list(read_records(path))
    assert count_records(path) == len(entries)
    assert [entry.index for entry in entries] == list(range(len(entries)))
    return {entry.line: entry.error for entry in entries}


def test_deep_nesting_is_a_bad_line_and_reading_goes_on(tmp_path: Path) -> None:
    nested_value = b'{"GroupId": "' + GROUP.encode() + b'", "CustomString": '
    nested_value += b"[" * 50_000 + b"]" * 50_000 + b"}\n"
    path = tmp_path / "topics.jsonl"
    path.write_bytes(good("a") + b"[" * 200_000 + b"\n" + nested_value + good("b"))
    errors = errors_by_line(path)
    assert errors[1] is None and errors[4] is None
    assert errors[2] == errors[3]
    assert errors[2] is not None and "nested too deeply" in errors[2]


def test_a_huge_line_is_a_bad_line_read_in_bounded_memory(tmp_path: Path) -> None:
    huge = b'{"GroupId": "' + GROUP.encode() + b'", "TopicName": "' + b"x" * 3_000_000 + b'"}\n'
    path = tmp_path / "topics.jsonl"
    path.write_bytes(good("a") + huge + good("b"))
    entries = list(read_records(path))
    assert [entry.line for entry in entries] == [1, 2, 3]
    assert entries[1].error == (
        f"the line is {len(huge):,} bytes, over the limit of {MAX_LINE_BYTES:,} "
        "(a record is a few KB at most)"
    )
    assert len(entries[1].raw) == MAX_LINE_BYTES  # only the head is kept
    assert entries[2].record is not None and entries[2].record.topic_name == "b"
    assert count_records(path) == 3


def test_a_truncated_line_names_the_column_where_it_ends(tmp_path: Path) -> None:
    cut = good("truncated")[:-8] + b"\n"  # {"GroupId": "...", "TopicName": "trun
    no_brace = good("x")[:-2] + b"\r\n"  # the closing brace is missing
    path = tmp_path / "topics.jsonl"
    path.write_bytes(cut + no_brace)
    errors = errors_by_line(path)
    start = cut.index(b'"trun') + 1
    assert errors[1] == (
        f"not valid JSON: Unterminated string starting at column {start} "
        "(the line ends early: was it cut short?)"
    )
    end = len(no_brace.rstrip()) + 1
    assert errors[2] == (
        f"not valid JSON: Expecting ',' delimiter at column {end} "
        "(the line ends early: was it cut short?)"
    )


def test_invalid_utf8_is_reported_at_its_character_column(tmp_path: Path) -> None:
    raw = b'{"GroupId": "' + GROUP.encode() + b'", "TopicName": "\xe5\x85\xac\xff"}\n'
    path = tmp_path / "topics.jsonl"
    path.write_bytes(raw)
    column = len(raw[: raw.index(b"\xff")].decode()) + 1
    assert errors_by_line(path) == {1: f"not valid UTF-8 (byte 0xff at column {column})"}


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("\ufeff".encode("utf-16-le") + good().decode().encode("utf-16-le"), "UTF-16LE"),
        (good().decode().encode("utf-16-be"), "UTF-16BE"),
        (good().decode().encode("utf-16-le"), "UTF-16LE"),
        ("\ufeff".encode("utf-32-le") + good().decode().encode("utf-32-le"), "UTF-32LE"),
    ],
)
def test_a_file_in_another_encoding_is_refused_with_the_conversion(
    tmp_path: Path, data: bytes, encoding: str
) -> None:
    for name in ("topics.jsonl", "topics.csv"):
        path = tmp_path / name
        path.write_bytes(data)
        expected = f"line 1: the file is {encoding}, .* iconv -f {encoding} -t UTF-8 {name}"
        with pytest.raises(InputFormatError, match=expected):
            count_records(path)
        with pytest.raises(InputFormatError, match=expected):
            next(read_records(path))


def test_a_bom_on_a_later_line_is_not_data(tmp_path: Path) -> None:
    path = tmp_path / "topics.jsonl"
    path.write_bytes(good("a") + b"\xef\xbb\xbf" + good("b"))
    assert errors_by_line(path) == {1: None, 2: None}


@pytest.mark.parametrize(
    "data",
    [
        b'[\n  {"GroupId": "' + GROUP.encode() + b'", "TopicName": "a"}\n]\n',
        b'[{"GroupId": "' + GROUP.encode() + b'", "TopicName": "a"}]\n',
        b'\n[{"TopicName": "a"},\n{"TopicName": "b"}]\n',
        b"[]",
    ],
)
def test_a_json_array_file_gets_the_command_that_converts_it(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "topics.json"
    path.write_bytes(data)
    hint = r"the file is one JSON array, but JSON Lines is expected.*jq -c '\.\[\]' topics\.json"
    with pytest.raises(InputFormatError, match=hint):
        count_records(path)
    with pytest.raises(InputFormatError, match=hint):
        list(read_records(path))


def test_pretty_printed_json_gets_the_command_that_converts_it(tmp_path: Path) -> None:
    path = tmp_path / "topics.jsonl"
    path.write_bytes(b'{\n  "GroupId": "' + GROUP.encode() + b'",\n  "TopicName": "a"\n}\n')
    with pytest.raises(InputFormatError, match=r"pretty-printed JSON.*jq -c \. topics\.jsonl"):
        list(read_records(path))


def test_an_array_line_among_records_is_just_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "topics.jsonl"
    path.write_bytes(b"[1, 2]\n" + good())
    assert errors_by_line(path) == {1: "a line must hold one JSON object, not an array", 2: None}


def test_odd_values_are_bad_lines_with_short_reasons(tmp_path: Path) -> None:
    path = tmp_path / "topics.jsonl"
    path.write_bytes(
        b'{"GroupId": "'
        + GROUP.encode()
        + b'", "TopicName": '
        + b"1" * 5000
        + b"}\n"
        + line(GroupId=GROUP, TopicName=["a"])
        + line(GroupId="@TGS#_" + "g" * 500_000, TopicName="a")
        + line(GroupId=GROUP, TopicName="a", Type=[[["x"]]])
        + line(GroupId=GROUP, TopicName="a", **{"K" * 10_000: 1})
        + line(GroupId=GROUP, TopicName="a", CreateTime=1.5)
        + b'{"GroupId": "'
        + GROUP.encode()
        + b'", "TopicName": "\\ud800"}\n'
    )
    errors = errors_by_line(path)
    assert errors[1] == "not a record: a number has over 4300 digits"
    assert errors[2] == "TopicName must be a string, not an array"
    assert errors[3] == "GroupId is 500006 bytes, the limit is 47"
    assert errors[4] == "Type must be 'Community' (the only type with topics), not an array"
    assert errors[5] is not None and len(errors[5]) < 400 and "unknown key 'KKK" in errors[5]
    assert errors[6] == "CreateTime must be an integer (Unix seconds), not float"
    assert errors[7] is not None and "TopicName is not valid UTF-8" in errors[7]


def test_source_topic_id_makes_a_sourced_record(tmp_path: Path) -> None:
    source = "@TGS#_@TGS#cOLD@TOPIC#_@TOPIC#cRTE3HIM62C5"
    path = tmp_path / "topics.jsonl"
    path.write_bytes(
        line(GroupId=GROUP, TopicName="a", SourceTopicId=source)
        + line(GroupId=GROUP, TopicName="b", SourceTopicId="nope")
        + line(GroupId=GROUP, TopicName="c", SourceTopicId="@TGS#_x@TOPIC#_" + "y" * 100)
    )
    first, second, third = read_records(path)
    assert first.record == SourcedTopicRecord(
        group_id=GROUP, topic_name="a", source_topic_id=source
    )
    assert second.error is not None and second.error.startswith(
        "SourceTopicId 'nope' is not a topic ID"
    )
    assert third.error == "SourceTopicId is 115 bytes, the limit is 96"


def test_csv_rows_with_a_huge_line_are_bad_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "topics.csv"
    path.write_bytes(
        b"GroupId,TopicName,SourceTopicId\n"
        + GROUP.encode()
        + b",a,\n"
        + GROUP.encode()
        + b',"'
        + b"x" * (MAX_LINE_BYTES + 10)
        + b'",\n'
        + GROUP.encode()
        + b",b,\n"
    )
    entries = list(read_records(path))
    assert [entry.line for entry in entries] == [2, 3, 4]
    assert entries[1].error is not None and entries[1].error.startswith("the line is 1,048,")
    assert entries[2].record == TopicRecord(group_id=GROUP, topic_name="b")
    assert count_records(path) == 3


@pytest.mark.parametrize(
    "first", [b"[" * 100_000 + b"\n", b'[{"TopicName": "a"}, {"TopicN\n', b"[1, 2]\n"]
)
def test_a_bad_first_line_that_starts_like_an_array_is_just_a_bad_line(
    tmp_path: Path, first: bytes
) -> None:
    path = tmp_path / "topics.jsonl"
    path.write_bytes(first + good())
    errors = errors_by_line(path)
    assert errors[1] is not None and errors[2] is None
