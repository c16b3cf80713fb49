"""Whatever bytes come back, decoding gives a dict, an ApiError or a TransportError."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tim_topics.answers import MAX_ANSWER_BYTES, decode_answer
from tim_topics.errors import ApiError, DecodeError, NotFoundError, TransportError
from tim_topics.messages import Answer, DestroyTopicAnswer, GetTopicAnswer, TopicIdAnswer
from tim_topics.wire import from_wire

ANSWER_TYPES = (Answer, TopicIdAnswer, GetTopicAnswer, DestroyTopicAnswer)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
wire_keys = st.sampled_from(
    [
        "ErrorCode",
        "ErrorInfo",
        "ActionStatus",
        "TopicId",
        "TopicAndSelfInfo",
        "DestroyResultItem",
        "TopicInfo",
        "SelfInfo",
        "GroupID",
        "TopicName",
        "CreateTime",
        "MuteAllMember",
    ]
)
answer_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10) | st.just("On"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(wire_keys, inner, max_size=6),
    max_leaves=25,
)


def decode_fully(raw: bytes) -> Any:
    data = decode_answer(raw, "get_topic")
    for answer_type in ANSWER_TYPES:
        try:
            from_wire(data, answer_type)
        except DecodeError:
            pass
    return data


def assert_decodes_or_library_error(raw: bytes) -> None:
    try:
        decode_fully(raw)
    except (TransportError, ApiError):
        pass


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_value(value: Any) -> None:
    assert_decodes_or_library_error(json.dumps(value).encode())


@settings(max_examples=300, deadline=None)
@given(answer_like)
def test_answer_shaped_json_with_wrong_types(value: Any) -> None:
    if isinstance(value, dict):
        value.setdefault("ErrorCode", 0)
    assert_decodes_or_library_error(json.dumps(value).encode())


@settings(max_examples=200, deadline=None)
@given(answer_like, st.integers(min_value=0, max_value=200))
def test_truncated_json(value: Any, cut: int) -> None:
    raw = json.dumps({"ErrorCode": 0, "TopicAndSelfInfo": [value]}).encode()
    assert_decodes_or_library_error(raw[:cut])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes(raw: bytes) -> None:
    assert_decodes_or_library_error(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"<html><head><title>502 Bad Gateway</title></head></html>",
        b"",
        b"null",
        b'"OK"',
        b'{"ActionStatus": "OK"}',
        b'{"ErrorCode": null}',
        b'{"ErrorCode": 0.0}',
        b'{"ErrorCode": true}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"ErrorCode": 0, "x": "' + b"a" * (MAX_ANSWER_BYTES + 1) + b'"}',
    ],
)
def test_known_bad_bodies_are_decode_errors(raw: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_answer(raw)


def test_error_code_with_odd_info_still_gives_the_code() -> None:
    with pytest.raises(NotFoundError) as caught:
        decode_answer(b'{"ErrorCode": 110003, "ErrorInfo": 5}', "get_topic")
    assert caught.value.code == 110003 and caught.value.info == ""
