"""The emulator over real HTTP on loopback: routing, the query string, UserSig checks, the
sliding window, every fault kind, stats and the webhook seam."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
import attrs
import pytest
from support.constants import ADMIN, GROUP, OTHER_GROUP, PLAIN_GROUP, SDKAPPID, SECRET
from support.emulator_calls import PATHS, Call, craft_sig, query, valid_sig

from tim_topics.emulator import (
    CreatingTopic,
    Emulator,
    NoWebhooks,
    TopicCreated,
    TopicEvent,
    TopicEventSink,
    TopicsDestroyed,
)

pytestmark = pytest.mark.asyncio

CUSTOM = GROUP + "@TOPIC#_TestTopic"


async def post_raw(
    http: aiohttp.ClientSession, url: str, *, data: bytes | None = None, **overrides: str | None
) -> dict[str, Any]:
    async with http.post(url, params=query(**overrides), data=data) as response:
        assert response.status == 200
        answer: dict[str, Any] = await response.json()
        return answer


# -- the five commands over HTTP ---------------------------------------------------------------


async def test_a_topic_lives_through_all_five_commands(emu: Emulator, call: Call) -> None:
    created = await call("create_topic", {"GroupId": GROUP, "TopicName": "TestTopic"})
    assert created["ErrorCode"] == 0 and created["ActionStatus"] == "OK"
    topic_id = created["TopicId"]
    imported = await call(
        "import_topic",
        {"GroupId": GROUP, "TopicName": "old", "TopicId": CUSTOM, "CreateTime": 1448357837},
    )
    assert imported["TopicId"] == CUSTOM
    modified = await call(
        "modify_topic", {"GroupId": GROUP, "TopicId": topic_id, "MuteAllMember": "On"}
    )
    assert modified == {"ActionStatus": "OK", "ErrorInfo": "ok", "ErrorCode": 0}
    got = await call("get_topic", {"GroupId": GROUP, "From_Account": "u"})
    infos = [item["TopicInfo"] for item in got["TopicAndSelfInfo"]]
    assert [(i["TopicId"], i["MuteAllMember"]) for i in infos] == [
        (topic_id, "On"),
        (CUSTOM, "Off"),
    ]
    assert infos[1]["CreateTime"] == 1448357837
    destroyed = await call("destroy_topic", {"GroupId": GROUP, "TopicIdList": [topic_id, CUSTOM]})
    assert [r["ErrorCode"] for r in destroyed["DestroyResultItem"]] == [0, 0]
    assert emu.topics(GROUP) == []


async def test_import_is_also_served_under_the_million_group_service(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        emu.url + "/v4/million_group_open_http_svc/import_topic",
        params=query(),
        json={"GroupId": GROUP, "TopicName": "t"},
    ) as response:
        assert (await response.json())["ErrorCode"] == 0
    assert len(emu.topics(GROUP)) == 1


async def test_documented_error_codes_over_http(call: Call) -> None:
    async def code(command: str, body: dict[str, Any]) -> int:
        answer = await call(command, body)
        assert answer["ActionStatus"] == ("OK" if answer["ErrorCode"] == 0 else "FAIL")
        result: int = answer["ErrorCode"]
        return result

    assert await code("create_topic", {"GroupId": GROUP, "TopicName": "t", "TopicId": CUSTOM}) == 0
    assert await code("create_topic", {"GroupId": GROUP, "TopicName": "t", "TopicId": CUSTOM}) == (
        10025
    )
    assert await code("import_topic", {"GroupId": GROUP, "TopicName": "t", "TopicId": CUSTOM}) == (
        10021
    )
    assert await code("create_topic", {"GroupId": GROUP, "TopicName": 5}) == 10004
    assert await code("create_topic", {"GroupId": "@TGS#2ABC", "TopicName": "t"}) == 10015
    assert await code("create_topic", {"GroupId": "@TGS#_unknown", "TopicName": "t"}) == 10010
    assert await code("create_topic", {"GroupId": PLAIN_GROUP, "TopicName": "t"}) == 11000
    assert await code("modify_topic", {"GroupId": GROUP, "TopicId": GROUP + "@TOPIC#_x"}) == 10010
    answer = await call("destroy_topic", {"GroupId": GROUP, "TopicIdList": [GROUP + "@TOPIC#_x"]})
    assert answer["DestroyResultItem"][0]["ErrorCode"] == 110003
    answer = await call("get_topic", {"GroupId": OTHER_GROUP, "From_Account": "u", "X": 1})
    assert answer["TopicAndSelfInfo"] == []


async def test_the_error_info_names_the_field(call: Call) -> None:
    answer = await call("create_topic", {"GroupId": GROUP, "TopicName": "x" * 31})
    assert answer["ErrorCode"] == 10004
    assert answer["ErrorInfo"] == "TopicName is 31 bytes, the limit is 30 (UTF-8 bytes)"


@pytest.mark.parametrize(
    ("data", "info"),
    [
        (b"", "not valid JSON"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'"GroupId"', "must be a JSON object"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_60003(
    emu: Emulator, http: aiohttp.ClientSession, data: bytes, info: str
) -> None:
    answer = await post_raw(http, emu.url + PATHS["create_topic"], data=data)
    assert answer["ErrorCode"] == 60003 and info in answer["ErrorInfo"]


# -- path, method and query string -------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/v4/million_group_open_http_svc/delete_everything",
        "/v4/group_open_http_svc/create_topic",
        "/v4/million_group_open_http_svc/Create_Topic",
        "/v3/million_group_open_http_svc/create_topic",
    ],
)
async def test_an_unknown_path_is_60009(
    emu: Emulator, http: aiohttp.ClientSession, path: str
) -> None:
    answer = await post_raw(http, emu.url + path, data=b"{}")
    assert answer["ErrorCode"] == 60009
    assert emu.stats.unrouted == 1


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_methods_other_than_post_are_60002(
    emu: Emulator, http: aiohttp.ClientSession, method: str
) -> None:
    async with http.request(method, emu.url + PATHS["get_topic"], params=query()) as response:
        assert response.status == 200
        answer = await response.json()
    assert answer["ErrorCode"] == 60002 and "POST" in answer["ErrorInfo"]


@pytest.mark.parametrize(
    ("overrides", "code", "info"),
    [
        ({"sdkappid": None}, 60002, "'sdkappid' is missing"),
        ({"sdkappid": "14e8"}, 60002, "'sdkappid' must be a decimal integer"),
        ({"sdkappid": "1400000001"}, 70020, "SDKAppID 1400000001 is not found"),
        ({"identifier": None}, 60002, "'identifier' is missing"),
        ({"usersig": None}, 60002, "'usersig' is missing"),
        ({"usersig": ""}, 60002, "'usersig' is empty"),
        ({"random": None}, 60002, "'random' is missing"),
        ({"random": "-1"}, 60002, "'random' must be a decimal integer"),
        ({"random": "4294967296"}, 60002, "above the maximum 4294967295"),
        ({"random": "abc"}, 60002, "'random' must be a decimal integer"),
        ({"contenttype": None}, 60002, "'contenttype' is missing"),
        ({"contenttype": "JSON"}, 60002, "'contenttype' must be 'json'"),
        ({"SdkAppid": "1400000000", "sdkappid": None}, 60002, "'sdkappid' is missing"),
    ],
)
async def test_the_query_string_is_checked_exactly(
    call: Call, overrides: dict[str, str | None], code: int, info: str
) -> None:
    answer = await call("get_topic", {"GroupId": GROUP, "From_Account": "u"}, **overrides)
    assert answer["ErrorCode"] == code
    assert info in answer["ErrorInfo"]


async def test_the_edges_of_random_are_accepted(call: Call) -> None:
    for value in ("0", "4294967295"):
        answer = await call("get_topic", {"GroupId": GROUP, "From_Account": "u"}, random=value)
        assert answer["ErrorCode"] == 0


async def test_a_repeated_query_key_is_60002(emu: Emulator, http: aiohttp.ClientSession) -> None:
    params = [*query().items(), ("random", "5")]
    async with http.post(emu.url + PATHS["get_topic"], params=params, json={}) as response:
        answer = await response.json()
    assert answer["ErrorCode"] == 60002 and "more than once" in answer["ErrorInfo"]


async def test_an_account_that_is_not_the_admin_is_60010(call: Call) -> None:
    answer = await call(
        "get_topic",
        {"GroupId": GROUP, "From_Account": "u"},
        identifier="user1",
        usersig=valid_sig("user1"),
    )
    assert answer["ErrorCode"] == 60010


# -- UserSig -----------------------------------------------------------------------------------


def _forge_expiry(fields: dict[str, Any]) -> None:
    fields["TLS.expire"] = 10**9


@pytest.mark.parametrize(
    ("usersig", "code"),
    [
        (lambda: valid_sig(), 0),
        (lambda: craft_sig(issued=int(time.time()) - 7200, expire=3600), 70001),
        (lambda: craft_sig(issued=int(time.time()) - 7200, expire=60, edit=_forge_expiry), 70009),
        (lambda: craft_sig(issued=int(time.time()), expire=60, key="other-apps-key"), 70009),
        (lambda: valid_sig(sdkappid=1400000001), 70014),
        (lambda: valid_sig("not-the-admin"), 70013),
        (lambda: valid_sig()[:40], 70003),
        (lambda: "garbage!", 70003),
    ],
    ids=["valid", "expired", "tampered", "other-key", "other-app", "other-account", "cut", "junk"],
)
async def test_usersig_verification(call: Call, usersig: Any, code: int) -> None:
    answer = await call("get_topic", {"GroupId": GROUP, "From_Account": "u"}, usersig=usersig())
    assert answer["ErrorCode"] == code


async def test_refused_calls_never_reach_the_backend_or_the_window(
    emu: Emulator, call: Call
) -> None:
    emu.set_rate_limit(1)
    body = {"GroupId": GROUP, "TopicName": "t"}
    assert (await call("create_topic", body, usersig="junk"))["ErrorCode"] == 70003
    assert (await call("create_topic", body, random="x"))["ErrorCode"] == 60002
    assert (await call("create_topic", body))["ErrorCode"] == 0
    assert len(emu.topics(GROUP)) == 1
    stats = emu.stats["create_topic"]
    assert (stats.calls, stats.admitted, dict(stats.answers)) == (3, 1, {70003: 1, 60002: 1, 0: 1})


async def test_nothing_secret_is_logged(
    emu: Emulator, call: Call, caplog: pytest.LogCaptureFixture
) -> None:
    sig = valid_sig()
    bad = craft_sig(issued=0, expire=1)
    with caplog.at_level(logging.DEBUG):
        await call("get_topic", {"GroupId": GROUP, "From_Account": "u"}, usersig=sig)
        await call("get_topic", {"GroupId": GROUP, "From_Account": "u"}, usersig=bad)
    assert caplog.records == [] or all(
        sig not in r.getMessage() and bad not in r.getMessage() and SECRET not in r.getMessage()
        for r in caplog.records
    )
    assert SECRET not in repr(emu)


# -- the sliding window ------------------------------------------------------------------------


async def test_a_burst_of_300_gets_exactly_100_answers_of_10006(
    http: aiohttp.ClientSession,
) -> None:
    frozen = 1000.0  # every call arrives within the same sliding second
    async with Emulator(
        sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP], rate_limit=200, clock=lambda: frozen
    ) as emu:
        url = emu.url + PATHS["get_topic"]
        body = {"GroupId": GROUP, "From_Account": "u"}

        async def one() -> int:
            async with http.post(url, params=query(), json=body) as response:
                code: int = (await response.json())["ErrorCode"]
                return code

        codes = await asyncio.gather(*(one() for _ in range(300)))
        assert codes.count(10006) == 100 and codes.count(0) == 200
        stats = emu.stats["get_topic"]
        assert (stats.rate_limited, stats.peak_window, stats.admitted) == (100, 200, 200)
        assert stats.answers == {0: 200, 10006: 100}
        # the other commands have their own windows
        create = await post_raw(
            http,
            emu.url + PATHS["create_topic"],
            data=b'{"GroupId": "%s", "TopicName": "t"}' % GROUP.encode(),
        )
        assert create["ErrorCode"] == 0


async def test_with_the_real_clock_no_second_sees_more_than_the_limit(
    http: aiohttp.ClientSession,
) -> None:
    async with Emulator(sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP], rate_limit=50) as emu:
        url = emu.url + PATHS["get_topic"]
        body = {"GroupId": GROUP, "From_Account": "u"}

        async def one() -> int:
            async with http.post(url, params=query(), json=body) as response:
                code: int = (await response.json())["ErrorCode"]
                return code

        codes = await asyncio.gather(*(one() for _ in range(120)))
        stats = emu.stats["get_topic"]
        assert set(codes) <= {0, 10006}
        assert codes.count(10006) == stats.rate_limited >= 1
        assert stats.peak_window == 50 and stats.admitted == codes.count(0)


async def test_the_window_forgets_calls_after_a_second(http: aiohttp.ClientSession) -> None:
    now = [0.0]
    async with Emulator(
        sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP], rate_limit=2, clock=lambda: now[0]
    ) as emu:
        url = emu.url + PATHS["get_topic"]
        body = b'{"GroupId": "%s", "From_Account": "u"}' % GROUP.encode()
        codes = [(await post_raw(http, url, data=body))["ErrorCode"] for _ in range(3)]
        now[0] = 0.99
        codes.append((await post_raw(http, url, data=body))["ErrorCode"])
        now[0] = 1.0
        codes += [(await post_raw(http, url, data=body))["ErrorCode"] for _ in range(3)]
        assert codes == [0, 0, 10006, 10006, 0, 0, 10006]
        emu.set_rate_limit(5, command="get_topic")
        assert emu.rate_limits["get_topic"] == 5 and emu.rate_limits["create_topic"] == 2
        assert (await post_raw(http, url, data=body))["ErrorCode"] == 0


# -- faults ------------------------------------------------------------------------------------


async def test_a_scripted_error_answers_the_code_and_changes_nothing(
    emu: Emulator, call: Call
) -> None:
    emu.fail_next("create_topic", code=10002, times=2)
    body = {"GroupId": GROUP, "TopicName": "t"}
    codes = [(await call("create_topic", body))["ErrorCode"] for _ in range(3)]
    assert codes == [10002, 10002, 0]
    assert len(emu.topics(GROUP)) == 1
    assert emu.stats["create_topic"].answers == {10002: 2, 0: 1}


async def test_an_http_502_has_an_html_body(emu: Emulator, http: aiohttp.ClientSession) -> None:
    emu.fail_next("create_topic", kind="http_502")
    async with http.post(
        emu.url + PATHS["create_topic"], params=query(), json={"GroupId": GROUP, "TopicName": "t"}
    ) as response:
        assert response.status == 502
        assert response.content_type == "text/html"
        assert "502 Bad Gateway" in await response.text()
    assert emu.topics(GROUP) == []
    assert emu.stats.http_502 == 1


async def test_drop_before_closes_the_connection_and_changes_nothing(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    emu.fail_next("create_topic", kind="drop_before")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await http.post(
            emu.url + PATHS["create_topic"],
            params=query(),
            json={"GroupId": GROUP, "TopicName": "t", "TopicId": CUSTOM},
        )
    assert emu.topics(GROUP) == []
    assert emu.stats["create_topic"].dropped_before == 1


async def test_drop_after_closes_the_connection_after_the_change(
    emu: Emulator, http: aiohttp.ClientSession, call: Call
) -> None:
    emu.fail_next("create_topic", kind="drop_after")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await http.post(
            emu.url + PATHS["create_topic"],
            params=query(),
            json={"GroupId": GROUP, "TopicName": "t", "TopicId": CUSTOM},
        )
    assert [t.topic_id for t in emu.topics(GROUP)] == [CUSTOM]
    assert emu.stats["create_topic"].dropped_after == 1
    # the ambiguous case as a client sees it: the retry finds the ID in use
    retry = await call("create_topic", {"GroupId": GROUP, "TopicName": "t", "TopicId": CUSTOM})
    assert retry["ErrorCode"] == 10025


async def test_the_server_keeps_serving_after_drops(emu: Emulator, call: Call) -> None:
    emu.set_faults(drop_before_rate=0.5, drop_after_rate=0.2, seed=5)
    outcomes = []
    for _ in range(30):
        try:
            answer = await call("get_topic", {"GroupId": GROUP, "From_Account": "u"})
            outcomes.append(answer["ErrorCode"])
        except aiohttp.ServerDisconnectedError:
            outcomes.append("drop")
    assert 0 in outcomes and "drop" in outcomes
    stats = emu.stats["get_topic"]
    assert stats.dropped_before + stats.dropped_after == outcomes.count("drop")


async def test_seeded_faults_repeat_over_http(http: aiohttp.ClientSession) -> None:
    async def run() -> list[object]:
        async with Emulator(sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP]) as emu:
            emu.set_faults(error_rate={10002: 0.3, 10006: 0.1}, http_502_rate=0.2, seed=11)
            seen: list[object] = []
            for _ in range(40):
                async with http.post(
                    emu.url + PATHS["get_topic"],
                    params=query(),
                    json={"GroupId": GROUP, "From_Account": "u"},
                ) as response:
                    if response.status == 502:
                        seen.append(502)
                    else:
                        seen.append((await response.json())["ErrorCode"])
            return seen

    first = await run()
    assert first == await run()
    assert {0, 502, 10002, 10006} <= set(first)


async def test_latency_is_added_after_admission(emu: Emulator, call: Call) -> None:
    emu.set_faults(latency_ms=150, jitter_ms=0)
    started = time.monotonic()
    await call("get_topic", {"GroupId": GROUP, "From_Account": "u"})
    assert time.monotonic() - started >= 0.14
    assert emu.faults.latency_ms == 150
    emu.clear_faults()
    assert emu.faults.latency_ms == 0


async def test_refused_calls_get_no_latency(http: aiohttp.ClientSession) -> None:
    async with Emulator(
        sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP], rate_limit=1, clock=lambda: 0.0
    ) as emu:
        emu.set_faults(latency_ms=30_000)
        url = emu.url + PATHS["get_topic"]
        slow = asyncio.create_task(post_raw(http, url, data=b"{}"))
        await asyncio.sleep(0.2)  # the first call is admitted and sleeping
        refused = await asyncio.wait_for(post_raw(http, url, data=b"{}"), 10)
        assert refused["ErrorCode"] == 10006
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow


# -- stats -------------------------------------------------------------------------------------


async def test_stats_count_calls_and_answers_and_can_be_reset(emu: Emulator, call: Call) -> None:
    await call("create_topic", {"GroupId": GROUP, "TopicName": "t"})
    await call("create_topic", {"GroupId": GROUP})
    await call("get_topic", {"GroupId": GROUP, "From_Account": "u"})
    stats = emu.stats
    assert stats.calls == 3
    assert stats["create_topic"].answers == {0: 1, 10004: 1}
    assert stats.answers == {0: 2, 10004: 1}
    assert stats.peak_window == 2
    emu.reset_stats()
    assert emu.stats.calls == 0 and emu.stats.peak_window == 0 and emu.stats.answers == {}


# -- the webhook seam --------------------------------------------------------------------------


@attrs.define
class RecordingSink:
    verdict: tuple[int, str] = (0, "")
    events: list[tuple[str, dict[str, Any]]] = attrs.field(factory=list)
    closed: bool = False

    async def ask(self, event: CreatingTopic) -> tuple[int, str]:
        self.events.append(("before", {"group": event.group_id, "op": event.operator_account}))
        return self.verdict

    async def send(self, event: TopicEvent) -> None:
        if isinstance(event, TopicCreated):
            self.events.append(("created", {"id": event.topic_id, "op": event.operator_account}))
        elif isinstance(event, TopicsDestroyed):
            self.events.append(("destroyed", {"ids": list(event.topic_ids)}))
        else:
            self.events.append(("changed", {"id": event.topic_id, "changed": event.changed}))

    async def aclose(self) -> None:
        self.closed = True


async def test_the_sink_sees_every_event(http: aiohttp.ClientSession) -> None:
    sink = RecordingSink()
    assert isinstance(sink, TopicEventSink) and isinstance(NoWebhooks(), TopicEventSink)
    async with Emulator(sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP], webhooks=sink) as emu:

        async def send(command: str, body: dict[str, Any]) -> dict[str, Any]:
            async with http.post(emu.url + PATHS[command], params=query(), json=body) as response:
                answer: dict[str, Any] = await response.json()
                return answer

        created = await send(
            "create_topic", {"GroupId": GROUP, "TopicName": "t", "From_Account": "u7"}
        )
        topic_id = created["TopicId"]
        await send("import_topic", {"GroupId": GROUP, "TopicName": "imported"})
        await send("modify_topic", {"GroupId": GROUP, "TopicId": topic_id, "Introduction": "hi"})
        await send("destroy_topic", {"GroupId": GROUP, "TopicIdList": [topic_id]})
    assert sink.events == [
        ("before", {"group": GROUP, "op": "u7"}),
        ("created", {"id": topic_id, "op": "u7"}),
        ("changed", {"id": topic_id, "changed": {"Introduction": "hi"}}),
        ("destroyed", {"ids": [topic_id]}),
    ]
    assert not sink.closed  # a sink passed in belongs to the caller


@pytest.mark.parametrize(
    ("verdict", "code", "info"),
    [((1, "no"), 10016, "refused"), ((10150, "names must be short"), 10150, "names must be short")],
)
async def test_a_refusing_webhook_makes_no_topic(
    http: aiohttp.ClientSession, verdict: tuple[int, str], code: int, info: str
) -> None:
    sink = RecordingSink(verdict=verdict)
    async with Emulator(sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP], webhooks=sink) as emu:
        async with http.post(
            emu.url + PATHS["create_topic"],
            params=query(),
            json={"GroupId": GROUP, "TopicName": "t"},
        ) as response:
            answer = await response.json()
        assert answer["ErrorCode"] == code and info in answer["ErrorInfo"]
        assert emu.topics(GROUP) == []
    assert [name for name, _ in sink.events] == ["before"]


async def test_drop_after_still_reports_the_creation(http: aiohttp.ClientSession) -> None:
    sink = RecordingSink()
    async with Emulator(sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP], webhooks=sink) as emu:
        emu.fail_next("create_topic", kind="drop_after")
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await http.post(
                emu.url + PATHS["create_topic"],
                params=query(),
                json={"GroupId": GROUP, "TopicName": "t"},
            )
    assert [name for name, _ in sink.events] == ["before", "created"]


# -- life cycle and input checks ---------------------------------------------------------------


async def test_life_cycle() -> None:
    emu = Emulator(sdkappid=SDKAPPID, secret_key=SECRET)
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.url
    assert "not started" in repr(emu)
    await emu.start()
    try:
        assert emu.url.startswith("http://127.0.0.1:")
        with pytest.raises(RuntimeError, match="already running"):
            await emu.start()
    finally:
        await emu.stop()
    await emu.stop()  # a second stop does nothing
    assert (emu.sdkappid, emu.identifier) == (SDKAPPID, ADMIN)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sdkappid": 0}, "sdkappid must be a positive int"),
        ({"sdkappid": "1400000000"}, "sdkappid must be a positive int"),
        ({"secret_key": ""}, "secret_key must be a non-empty str"),
        ({"identifier": ""}, "identifier must be a non-empty str"),
        ({"rate_limit": 0}, "rate_limit must be an int of at least 1"),
        ({"rate_limits": {"nope": 5}}, "command 'nope' is unknown"),
        ({"port": 70000}, "port must be an int"),
        ({"groups": ["not-a-community"]}, "cannot have topics"),
        ({"webhook_token": "t"}, "webhook_token needs a webhook_url"),
        ({"webhook_url": "http://x", "webhooks": NoWebhooks()}, "not both"),
    ],
)
async def test_bad_constructor_arguments(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"sdkappid": SDKAPPID, "secret_key": SECRET, **kwargs}
    with pytest.raises(ValueError, match=message):
        Emulator(**arguments)
    if "secret_key" not in kwargs:
        try:
            Emulator(**arguments)
        except ValueError as exc:
            assert SECRET not in str(exc)
