"""The client against the project's emulator over loopback: what the service would do."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from support.constants import ADMIN, GROUP, OTHER_GROUP, SDKAPPID, SECRET

from tim_topics import (
    AlreadyExistsError,
    AuthError,
    FeatureNotEnabledError,
    NotFoundError,
    OutcomeUnknownError,
    RetryPolicy,
    TopicClient,
)
from tim_topics.emulator import Emulator

pytestmark = pytest.mark.asyncio

FAST = RetryPolicy(max_attempts=5, max_total=10.0, initial_wait=0.001, max_wait=0.01)


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(
        sdkappid=SDKAPPID, secret_key=SECRET, identifier=ADMIN, groups=[GROUP]
    ) as emulator:
        yield emulator


@pytest_asyncio.fixture
async def client(emu: Emulator) -> AsyncIterator[TopicClient]:
    async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=emu.url, retry=FAST) as topic_client:
        yield topic_client


async def test_the_whole_life_of_topics(emu: Emulator, client: TopicClient) -> None:
    custom = GROUP + "@TOPIC#_news"
    assigned = await client.create_topic(GROUP, "General", introduction="hi", from_account="u1")
    assert assigned.startswith(GROUP + "@TOPIC#_@TOPIC#c")
    assert await client.create_topic(GROUP, "News", topic_id=custom) == custom
    imported = await client.import_topic(
        GROUP, "Archive", create_time=1448357837, notification="old"
    )

    by_id = {t.topic_id: t for t in emu.topics(GROUP)}
    assert set(by_id) == {assigned, custom, imported}
    assert by_id[imported].create_time == 1448357837
    assert by_id[assigned].introduction == "hi"

    await client.modify_topic(GROUP, custom, notification="read me", mute_all_member=True)
    [result] = await client.get_topic(GROUP, topic_ids=[custom])
    assert result.ok and result.topic is not None
    assert result.topic.notification == "read me" and result.topic.mute_all_member is True
    assert result.topic.group_id == GROUP

    filtered = await client.get_topic(GROUP, response_filter=["topic_name"])
    assert {r.topic.topic_name for r in filtered if r.topic} == {"General", "News", "Archive"}
    assert all(r.topic is not None and r.topic.introduction is None for r in filtered)

    results = await client.destroy_topic(GROUP, [custom, imported])
    assert [(r.topic_id, r.error_code) for r in results] == [(custom, 0), (imported, 0)]
    again = await client.destroy_topic(GROUP, [custom])
    assert again[0].error_code == 110003
    [gone] = await client.get_topic(GROUP, topic_ids=[custom])
    assert gone.error_code == 110003 and not gone.ok
    assert [t.topic_id for t in emu.topics(GROUP)] == [assigned]


async def test_custom_id_in_use(client: TopicClient) -> None:
    custom = GROUP + "@TOPIC#_dup"
    await client.create_topic(GROUP, "a", topic_id=custom)
    with pytest.raises(AlreadyExistsError) as on_create:
        await client.create_topic(GROUP, "b", topic_id=custom)
    with pytest.raises(AlreadyExistsError) as on_import:
        await client.import_topic(GROUP, "b", topic_id=custom)
    assert (on_create.value.code, on_import.value.code) == (10025, 10021)


async def test_unknown_group_and_group_without_topics(emu: Emulator, client: TopicClient) -> None:
    with pytest.raises(NotFoundError) as unknown:
        await client.create_topic(OTHER_GROUP, "t")
    assert unknown.value.code == 10010
    emu.add_group(OTHER_GROUP, topics=False)
    with pytest.raises(FeatureNotEnabledError) as plain:
        await client.create_topic(OTHER_GROUP, "t")
    assert plain.value.code == 11000


async def test_scripted_errors_are_retried(emu: Emulator, client: TopicClient) -> None:
    emu.fail_next("create_topic", code=10002, times=3)
    await client.create_topic(GROUP, "t")
    stats = emu.stats["create_topic"]
    assert dict(stats.answers) == {10002: 3, 0: 1}
    assert len(emu.topics(GROUP)) == 1


async def test_lost_answer_with_custom_id_makes_one_topic(
    emu: Emulator, client: TopicClient
) -> None:
    custom = GROUP + "@TOPIC#_once"
    emu.fail_next("import_topic", kind="drop_after")
    assert await client.import_topic(GROUP, "t", topic_id=custom) == custom
    assert [t.topic_id for t in emu.topics(GROUP)] == [custom]
    assert dict(emu.stats["import_topic"].answers) == {10021: 1}


async def test_lost_answer_without_id_is_not_resent(emu: Emulator, client: TopicClient) -> None:
    emu.fail_next("create_topic", kind="drop_after")
    with pytest.raises(OutcomeUnknownError):
        await client.create_topic(GROUP, "t")
    assert len(emu.topics(GROUP)) == 1  # made once by the lost attempt
    assert emu.stats["create_topic"].calls == 1


async def test_drop_before_without_id_is_also_not_resent(
    emu: Emulator, client: TopicClient
) -> None:
    emu.fail_next("create_topic", kind="drop_before")
    with pytest.raises(OutcomeUnknownError):
        await client.create_topic(GROUP, "t")
    assert emu.topics(GROUP) == []


async def test_gateway_502_is_retried_for_reads(emu: Emulator, client: TopicClient) -> None:
    emu.fail_next("get_topic", kind="http_502", times=2)
    assert await client.get_topic(GROUP) == []
    assert emu.stats["get_topic"].http_502 == 2


async def test_a_burst_never_trips_the_window(emu: Emulator) -> None:
    # The emulator shares this test's event loop (and a shared CI machine): the client is
    # set a little under the emulator's 200 so that the loop's own lateness, not the
    # limiter, is what the margin absorbs. A plain AsyncLimiter(190, 1) would let about
    # 380 calls into the first second and get about 100 answers of 10006 here.
    async with TopicClient(
        SDKAPPID, ADMIN, SECRET, base_url=emu.url, retry=FAST, rate_limit=190
    ) as client:
        await asyncio.gather(*(client.get_topic(GROUP) for _ in range(300)))
    stats = emu.stats["get_topic"]
    assert stats.rate_limited == 0
    assert stats.calls == 300
    assert stats.peak_window <= 200


async def test_expired_usersig_is_renewed_and_succeeds(client: TopicClient) -> None:
    skew = [True]

    def wall_clock() -> float:
        # the first verification sees a clock far ahead: the UserSig has expired
        if skew[0]:
            skew[0] = False
            return time.time() + 30 * 86400
        return time.time()

    async with Emulator(
        sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP], wall_clock=wall_clock
    ) as emu:
        async with TopicClient(
            SDKAPPID, ADMIN, SECRET, base_url=emu.url, retry=FAST, usersig_validity=86400
        ) as fresh:
            assert await fresh.get_topic(GROUP) == []
            assert fresh._usersig.generated == 2  # type: ignore[attr-defined]
        assert dict(emu.stats["get_topic"].answers) == {70001: 1, 0: 1}


async def test_wrong_key_fails_at_once(emu: Emulator) -> None:
    async with TopicClient(SDKAPPID, ADMIN, "not-the-key", base_url=emu.url, retry=FAST) as wrong:
        with pytest.raises(AuthError) as caught:
            await wrong.get_topic(GROUP)
    assert caught.value.code == 70009
    assert emu.stats["get_topic"].calls == 1


async def test_daily_quota_gives_up_at_the_ceiling(emu: Emulator) -> None:
    emu.set_faults(error_rate={10006: 1.0}, seed=1)
    policy = RetryPolicy(max_attempts=100, max_total=0.5, initial_wait=0.05, max_wait=0.1)
    async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=emu.url, retry=policy) as quota:
        from tim_topics import RateLimitedError

        with pytest.raises(RateLimitedError):
            await asyncio.wait_for(quota.get_topic(GROUP), timeout=10)
    assert 1 < emu.stats["get_topic"].calls < 100
