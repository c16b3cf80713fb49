"""The client's request path over real HTTP, against a scripted server: the wire it sends,
how it decodes answers, which errors it raises, when it retries and when it must not."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import aiohttp
import pytest
from support.constants import ADMIN, GROUP, SDKAPPID, SECRET
from support.scripted import DROP, ScriptedServer, fail, ok

from tim_topics import (
    AlreadyExistsError,
    ApiError,
    AuthError,
    ClientClosedError,
    DecodeError,
    FeatureNotEnabledError,
    InvalidRequestError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TopicClient,
    TransportError,
    ValidationError,
    WebhookRejectedError,
)
from tim_topics.retry import RetryPolicy

pytestmark = pytest.mark.asyncio

TOPIC = GROUP + "@TOPIC#_@TOPIC#cRTE3HIM62C5"
CUSTOM = GROUP + "@TOPIC#_TestTopic"
FAST = RetryPolicy(max_attempts=4, max_total=5.0, initial_wait=0.001, max_wait=0.01)


def make_client(server: ScriptedServer, **kwargs: object) -> TopicClient:
    options: dict[str, object] = {"secret_key": SECRET, "retry": FAST, "rate_limit": 1000}
    options.update(kwargs)
    return TopicClient(SDKAPPID, ADMIN, base_url=server.url, **options)  # type: ignore[arg-type]


async def test_create_topic_sends_the_documented_request(scripted: ScriptedServer) -> None:
    scripted.reply(ok(TopicId=TOPIC))
    async with make_client(scripted) as client:
        topic_id = await client.create_topic(GROUP, "TestTopic", from_account="1400187352")
    assert topic_id == TOPIC
    [seen] = scripted.seen
    assert seen.method == "POST"
    assert seen.path == "/v4/million_group_open_http_svc/create_topic"
    assert seen.body == {"GroupId": GROUP, "TopicName": "TestTopic", "From_Account": "1400187352"}
    assert set(seen.query) == {"sdkappid", "identifier", "usersig", "random", "contenttype"}
    assert seen.query["sdkappid"] == str(SDKAPPID)
    assert seen.query["identifier"] == ADMIN
    assert seen.query["contenttype"] == "json"
    assert 0 <= int(seen.query["random"]) <= 4294967295


async def test_random_is_fresh_and_usersig_cached(scripted: ScriptedServer) -> None:
    async with make_client(scripted) as client:
        for _ in range(5):
            await client.modify_topic(GROUP, TOPIC, topic_name="x")
    randoms = {seen.query["random"] for seen in scripted.seen}
    sigs = {seen.query["usersig"] for seen in scripted.seen}
    assert len(randoms) == 5
    assert len(sigs) == 1


async def test_import_topic_path_and_create_time(scripted: ScriptedServer) -> None:
    scripted.reply(ok(TopicId=CUSTOM))
    when = datetime(2015, 11, 24, 9, 37, 17, tzinfo=timezone.utc)
    async with make_client(scripted) as client:
        assert (
            await client.import_topic(GROUP, "TestTopic", topic_id=CUSTOM, create_time=when)
            == CUSTOM
        )
    [seen] = scripted.seen
    assert seen.path == "/v4/group_open_http_svc/import_topic"
    assert seen.body == {
        "GroupId": GROUP,
        "TopicName": "TestTopic",
        "TopicId": CUSTOM,
        "CreateTime": 1448357837,
    }


async def test_service_of_a_command_can_be_overridden(scripted: ScriptedServer) -> None:
    scripted.reply(ok(TopicId=TOPIC))
    async with make_client(
        scripted, services={"import_topic": "million_group_open_http_svc"}
    ) as client:
        await client.import_topic(GROUP, "t")
    assert scripted.seen[0].path == "/v4/million_group_open_http_svc/import_topic"


async def test_modify_sends_only_what_changes(scripted: ScriptedServer) -> None:
    async with make_client(scripted) as client:
        await client.modify_topic(GROUP, TOPIC, notification="", mute_all_member=True)
        await client.modify_topic(GROUP, TOPIC, mute_all_member=False, from_account="u1")
    assert scripted.seen[0].body == {
        "GroupId": GROUP,
        "TopicId": TOPIC,
        "Notification": "",
        "MuteAllMember": "On",
    }
    assert scripted.seen[1].body == {
        "GroupId": GROUP,
        "TopicId": TOPIC,
        "From_Account": "u1",
        "MuteAllMember": "Off",
    }


async def test_get_topic_results_per_topic(scripted: ScriptedServer) -> None:
    deleted = GROUP + "@TOPIC#_gone"
    scripted.reply(
        ok(
            TopicAndSelfInfo=[
                {
                    "ErrorCode": 0,
                    "ErrorInfo": "ok",
                    "SelfInfo": {"ShutUpTime": 0, "MsgSeq": 0, "MsgFlag": "AcceptAndNotify"},
                    "TopicInfo": {
                        "TopicName": "n",
                        "GroupID": GROUP,
                        "TopicId": TOPIC,
                        "MuteAllMember": "On",
                        "CreateTime": 1658839448,
                    },
                },
                {
                    "ErrorCode": 110003,
                    "ErrorInfo": "topic deleted",
                    "TopicInfo": {"TopicId": deleted},
                },
            ]
        )
    )
    async with make_client(scripted) as client:
        results = await client.get_topic(
            GROUP, topic_ids=[TOPIC, deleted], response_filter=["topic_name", "mute_all_member"]
        )
    assert scripted.seen[0].body == {
        "GroupId": GROUP,
        "From_Account": ADMIN,
        "TopicIdList": [TOPIC, deleted],
        "ResponseFilter": ["TopicName", "MuteAllMember"],
    }
    first, second = results
    assert first.ok and first.topic is not None
    assert first.topic.topic_name == "n" and first.topic.group_id == GROUP
    assert first.topic.mute_all_member is True
    assert first.topic.notification is None  # left out by the filter
    assert first.self_info is not None and first.self_info.msg_flag == "AcceptAndNotify"
    assert not second.ok and second.error_code == 110003
    assert second.topic is not None and second.topic.topic_id == deleted


async def test_destroy_topic_results(scripted: ScriptedServer) -> None:
    scripted.reply(
        ok(
            DestroyResultItem=[
                {"ErrorCode": 0, "ErrorInfo": "ok", "TopicId": TOPIC},
                {"ErrorCode": 110003, "ErrorInfo": "deleted", "TopicId": CUSTOM},
            ]
        )
    )
    async with make_client(scripted) as client:
        results = await client.destroy_topic(GROUP, [TOPIC, CUSTOM])
    assert scripted.seen[0].body == {"GroupId": GROUP, "TopicIdList": [TOPIC, CUSTOM]}
    assert [(r.topic_id, r.error_code, r.ok) for r in results] == [
        (TOPIC, 0, True),
        (CUSTOM, 110003, False),
    ]


@pytest.mark.parametrize(
    ("code", "family"),
    [
        (10006, RateLimitedError),
        (60011, RateLimitedError),
        (10002, ServerError),
        (70009, AuthError),
        (70013, AuthError),
        (10010, NotFoundError),
        (110003, NotFoundError),
        (10004, InvalidRequestError),
        (10015, InvalidRequestError),
        (10021, AlreadyExistsError),
        (10025, AlreadyExistsError),
        (10016, WebhookRejectedError),
        (10101, WebhookRejectedError),
        (10007, PermissionDeniedError),
        (11000, FeatureNotEnabledError),
        (12345, ApiError),
    ],
)
async def test_error_families(scripted: ScriptedServer, code: int, family: type) -> None:
    scripted.default = fail(code, "the info")
    async with make_client(scripted, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(family) as caught:
            await client.modify_topic(GROUP, TOPIC, topic_name="x")
    assert caught.value.code == code
    assert caught.value.info == "the info"
    assert caught.value.command == "modify_topic"


async def test_retry_then_success(scripted: ScriptedServer) -> None:
    scripted.reply(fail(10002), fail(10006), ok(TopicId=TOPIC))
    async with make_client(scripted) as client:
        assert await client.create_topic(GROUP, "t") == TOPIC
    assert len(scripted.seen) == 3


async def test_retry_exhaustion_raises_the_last_error(scripted: ScriptedServer) -> None:
    scripted.default = fail(10006, "over the limit")
    async with make_client(scripted) as client:
        with pytest.raises(RateLimitedError):
            await client.get_topic(GROUP)
    assert len(scripted.seen) == FAST.max_attempts


async def test_total_time_ceiling_stops_a_quota_that_never_clears(scripted: ScriptedServer) -> None:
    scripted.default = fail(10006, "daily quota")
    policy = RetryPolicy(max_attempts=1000, max_total=0.3, initial_wait=0.05, max_wait=0.05)
    async with make_client(scripted, retry=policy) as client:
        started = asyncio.get_running_loop().time()
        with pytest.raises(RateLimitedError):
            await client.get_topic(GROUP)
        elapsed = asyncio.get_running_loop().time() - started
    assert 1 < len(scripted.seen) < 1000
    assert elapsed < 5  # gave up at the ceiling instead of hanging


async def test_non_retryable_codes_are_not_retried(scripted: ScriptedServer) -> None:
    scripted.default = fail(10004, "bad")
    async with make_client(scripted) as client:
        with pytest.raises(InvalidRequestError):
            await client.get_topic(GROUP)
    assert len(scripted.seen) == 1


async def test_expired_usersig_is_renewed_once(scripted: ScriptedServer) -> None:
    scripted.reply(fail(70001, "expired"), ok(TopicId=TOPIC))
    async with make_client(scripted) as client:
        assert await client.create_topic(GROUP, "t") == TOPIC
    first, second = scripted.seen
    assert (
        first.query["usersig"] != second.query["usersig"]
        or first.query["random"] != second.query["random"]
    )
    assert len(scripted.seen) == 2


async def test_expired_usersig_twice_fails_after_one_renewal(scripted: ScriptedServer) -> None:
    scripted.default = fail(70001, "expired")
    async with make_client(scripted) as client:
        with pytest.raises(AuthError) as caught:
            await client.get_topic(GROUP)
    assert caught.value.code == 70001
    assert len(scripted.seen) == 2


async def test_wrong_key_fails_at_once(scripted: ScriptedServer) -> None:
    scripted.default = fail(70009, "verification failed")
    async with make_client(scripted) as client:
        with pytest.raises(AuthError):
            await client.get_topic(GROUP)
    assert len(scripted.seen) == 1


async def test_given_usersig_is_not_renewed(scripted: ScriptedServer) -> None:
    scripted.default = fail(70001, "expired")
    async with make_client(scripted, secret_key=None, usersig="ready-made-sig") as client:
        with pytest.raises(AuthError):
            await client.get_topic(GROUP)
    assert [seen.query["usersig"] for seen in scripted.seen] == ["ready-made-sig"]


async def test_lost_answer_to_create_without_id_is_not_resent(scripted: ScriptedServer) -> None:
    scripted.reply(DROP)
    async with make_client(scripted) as client:
        with pytest.raises(OutcomeUnknownError) as caught:
            await client.create_topic(GROUP, "t")
    assert isinstance(caught.value, TransportError)
    assert len(scripted.seen) == 1


async def test_lost_answer_to_create_with_custom_id_is_resent_and_in_use_means_made(
    scripted: ScriptedServer,
) -> None:
    scripted.reply(DROP, fail(10025, "ID already used"))
    async with make_client(scripted) as client:
        assert await client.create_topic(GROUP, "t", topic_id=CUSTOM) == CUSTOM
    assert len(scripted.seen) == 2


async def test_in_use_without_an_ambiguous_attempt_is_an_error(scripted: ScriptedServer) -> None:
    scripted.reply(fail(10021, "topic ID in use"))
    async with make_client(scripted) as client:
        with pytest.raises(AlreadyExistsError):
            await client.import_topic(GROUP, "t", topic_id=CUSTOM)


async def test_gateway_502_with_html(scripted: ScriptedServer) -> None:
    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    scripted.reply((502, html), ok(TopicAndSelfInfo=[]))
    async with make_client(scripted) as client:
        assert await client.get_topic(GROUP) == []  # idempotent: retried
        scripted.reply((502, html))
        with pytest.raises(OutcomeUnknownError) as caught:
            await client.create_topic(GROUP, "t")  # not idempotent: not re-sent
    assert caught.value.status == 502
    assert len(scripted.seen) == 3


@pytest.mark.parametrize(
    "payload",
    [
        b"<html>oops</html>",
        b'{"ErrorCode": 0',
        b"[1, 2]",
        b'{"ErrorInfo": "no code"}',
        b'{"ErrorCode": "0"}',
    ],
)
async def test_bodies_that_are_not_the_documented_json(
    scripted: ScriptedServer, payload: bytes
) -> None:
    scripted.default = (200, payload)
    async with make_client(scripted, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(DecodeError):
            await client.get_topic(GROUP)


async def test_answer_with_wrong_types_is_a_decode_error(scripted: ScriptedServer) -> None:
    scripted.default = ok(
        TopicAndSelfInfo=[{"ErrorCode": 0, "TopicInfo": {"CreateTime": "yesterday"}}]
    )
    async with make_client(scripted, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(DecodeError, match="create_time"):
            await client.get_topic(GROUP)


async def test_connection_refused_is_a_transport_error_not_sent() -> None:
    client = TopicClient(
        SDKAPPID,
        ADMIN,
        SECRET,
        base_url="http://127.0.0.1:9",
        retry=RetryPolicy(max_attempts=2, initial_wait=0.001),
    )
    async with client:
        with pytest.raises(TransportError) as caught:
            await client.create_topic(GROUP, "t")
    assert caught.value.sent is False
    assert not isinstance(caught.value, OutcomeUnknownError)


async def test_over_length_input_sends_nothing(scripted: ScriptedServer) -> None:
    async with make_client(scripted) as client:
        with pytest.raises(ValidationError, match="topic_name is 31 bytes, the limit is 30"):
            await client.create_topic(GROUP, "a" + "话" * 10)
        with pytest.raises(ValidationError, match="introduction is 241 bytes, the limit is 240"):
            await client.import_topic(GROUP, "t", introduction="a" + "话" * 80)
        with pytest.raises(ValidationError, match="topic_id"):
            await client.modify_topic(GROUP, "@TGS#_other@TOPIC#_x", topic_name="t")
        with pytest.raises(ValidationError, match="group_id"):
            await client.get_topic("not-a-community")
        with pytest.raises(ValidationError, match="response_filter"):
            await client.get_topic(GROUP, response_filter=["nope"])
        with pytest.raises(ValidationError, match="nothing to modify"):
            await client.modify_topic(GROUP, TOPIC)
    assert scripted.seen == []


async def test_shared_session_is_not_closed(scripted: ScriptedServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with make_client(scripted, session=session) as client:
            await client.get_topic(GROUP)
        assert not session.closed
        assert client.closed
        with pytest.raises(ClientClosedError):
            await client.get_topic(GROUP)


async def test_without_context_manager_and_aclose(scripted: ScriptedServer) -> None:
    client = make_client(scripted)
    await client.get_topic(GROUP)
    await client.aclose()
    await client.aclose()  # idempotent
    assert client.closed


async def test_cancelling_calls_leaks_nothing(scripted: ScriptedServer) -> None:
    reached = asyncio.Event()

    async def slow(seen: object) -> tuple[int, bytes]:
        reached.set()
        await asyncio.sleep(0.2)
        return ok(TopicAndSelfInfo=[])

    scripted.default = slow
    async with make_client(scripted, rate_limit=100) as client:
        tasks = [asyncio.create_task(client.get_topic(GROUP)) for _ in range(300)]

        # some in flight on the server (slow to answer), most waiting for tokens
        await asyncio.wait_for(reached.wait(), timeout=10)
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        in_flight = len(scripted.seen)
        assert 0 < in_flight < 100
        scripted.default = ok(TopicAndSelfInfo=[])
        # the client still works afterwards at its rate, and no connection stays acquired
        await asyncio.gather(*(client.get_topic(GROUP) for _ in range(20)))
        connector = client.session.connector if client.session else None
        assert connector is not None
        assert len(connector._acquired) == 0  # type: ignore[attr-defined]
    await asyncio.sleep(0.3)  # let the server finish the requests it was still serving
    ours = [
        t
        for t in asyncio.all_tasks()
        if t is not asyncio.current_task()
        and "RequestHandler" not in getattr(t.get_coro(), "__qualname__", "")
    ]
    assert ours == []


async def test_get_topic_with_an_empty_list_sends_it(scripted: ScriptedServer) -> None:
    scripted.reply(ok(TopicAndSelfInfo=[]))
    async with make_client(scripted) as client:
        assert await client.get_topic(GROUP, topic_ids=[]) == []
    assert scripted.seen[0].body == {"GroupId": GROUP, "From_Account": ADMIN, "TopicIdList": []}
