"""The Redis-shared limiter against a real redis-server on loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from support.windows import EPSILON, LOOP_LAG, max_in_window

from tim_topics.errors import TimTopicsError, ValidationError
from tim_topics.limiter import Limiter, bucket_shape
from tim_topics.redis_limiter import (
    GCRA_SCRIPT,
    LimiterUnavailableError,
    RedisLimiter,
    redact_url,
)


async def admit(limiters: list[RedisLimiter], command: str, calls: int) -> list[float]:
    """``calls`` acquisitions from 8 tasks per limiter; the loop time of each admission."""
    loop = asyncio.get_running_loop()
    times: list[float] = []
    remaining = iter(range(calls))

    async def worker(limiter: RedisLimiter) -> None:
        for _ in remaining:
            await limiter.acquire(command)
            times.append(loop.time())

    workers = [worker(limiter) for limiter in limiters for _ in range(8)]
    await asyncio.wait_for(asyncio.gather(*workers), 30)
    return times


def closed_port_url(password: str = "") -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    auth = f":{password}@" if password else ""
    return f"redis://{auth}127.0.0.1:{port}/0"


@pytest_asyncio.fixture
async def raw(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest_asyncio.fixture
async def limiter(redis_url: str, key_prefix: str) -> AsyncIterator[RedisLimiter]:
    made = RedisLimiter(redis_url, key_prefix=key_prefix, rate_limit=100)
    try:
        yield made
    finally:
        await made.aclose()


# --- the script --------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_script_books_a_burst_then_one_slot_per_interval(
    raw: aioredis.Redis, key_prefix: str
) -> None:
    script = raw.register_script(GCRA_SCRIPT)
    keys = [f"{key_prefix}:x", f"{key_prefix}:x:ok"]
    second = 1_000_000
    waits = [(await script(keys=keys, args=[second, second]))[0] for _ in range(4)]
    assert waits[:2] == [0, 0]  # burst 2: tolerance of one interval
    assert 0 < waits[2] <= second  # the third waits for the next slot
    assert second < waits[3] <= 2 * second
    assert all(isinstance(w, int) for w in waits)


@pytest.mark.asyncio
async def test_script_stores_whole_microseconds_with_an_expiry(
    raw: aioredis.Redis, key_prefix: str
) -> None:
    script = raw.register_script(GCRA_SCRIPT)
    await script(keys=[f"{key_prefix}:x", f"{key_prefix}:x:ok"], args=[5102, 5102])
    stored = await raw.get(f"{key_prefix}:x")
    assert stored is not None and stored.isdigit()  # no exponent form, no fraction
    seconds, micros = await raw.time()
    assert abs(int(stored) - (seconds * 1_000_000 + micros)) < 1_000_000
    assert 0 < await raw.pttl(f"{key_prefix}:x") <= 1100


@pytest.mark.asyncio
async def test_script_sums_reported_ok_answers_across_callers(
    raw: aioredis.Redis, key_prefix: str
) -> None:
    script = raw.register_script(GCRA_SCRIPT)
    keys = [f"{key_prefix}:x", f"{key_prefix}:x:ok"]
    await script(keys=keys, args=[1, 0, 30])
    await script(keys=keys, args=[1, 0, 12])
    _, ok_last_second = await script(keys=keys, args=[1, 0, 0])
    # 42 unless a second boundary fell in between (then the previous second is weighted)
    assert 30 <= ok_last_second <= 42


# --- the limiter -------------------------------------------------------------------------


def test_is_a_limiter() -> None:
    assert isinstance(RedisLimiter("redis://127.0.0.1:6379/0", key_prefix="p"), Limiter)


@pytest.mark.asyncio
async def test_one_process_keeps_every_window_under_burst_plus_rate(
    limiter: RedisLimiter,
) -> None:
    burst, rate = bucket_shape(100)
    times = await admit([limiter], "get_topic", calls=40)
    assert len(times) == 40
    for window in (0.1, 0.3):
        assert max_in_window(times, window - EPSILON) <= burst + rate * (window + LOOP_LAG)


@pytest.mark.asyncio
async def test_limiters_with_one_prefix_share_one_budget(redis_url: str, key_prefix: str) -> None:
    # three limiters stand for three processes: each has its own locks and connections
    limiters = [RedisLimiter(redis_url, key_prefix=key_prefix, rate_limit=100) for _ in range(3)]
    try:
        burst, rate = bucket_shape(100)
        times = await admit(limiters, "get_topic", calls=45)
        for window in (0.1, 0.3):
            assert max_in_window(times, window - EPSILON) <= burst + rate * (window + LOOP_LAG)
    finally:
        for made in limiters:
            await made.aclose()


@pytest.mark.asyncio
async def test_other_prefixes_and_commands_have_their_own_budgets(
    redis_url: str, key_prefix: str
) -> None:
    slow = RedisLimiter(redis_url, key_prefix=key_prefix, rate_limit=2)  # burst 1
    other = RedisLimiter(redis_url, key_prefix=key_prefix + "-other", rate_limit=2)
    try:
        await slow.acquire("get_topic")
        await asyncio.wait_for(other.acquire("get_topic"), 1)
        await asyncio.wait_for(slow.acquire("create_topic"), 1)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(slow.acquire("get_topic"), 0.2)  # next slot ~1 s away
    finally:
        await slow.aclose()
        await other.aclose()


@pytest.mark.asyncio
async def test_cancelled_acquires_release_the_lock(redis_url: str, key_prefix: str) -> None:
    limiter = RedisLimiter(redis_url, key_prefix=key_prefix, rate_limit=5)  # 3.96/s
    try:
        await limiter.acquire("get_topic")
        tasks = [asyncio.create_task(limiter.acquire("get_topic")) for _ in range(5)]
        await asyncio.sleep(0.05)  # one booked a slot and sleeps; four wait on the lock
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        # the sleeper's slot is lost (not given back); the next call books the one after it
        await asyncio.wait_for(limiter.acquire("get_topic"), 5)
    finally:
        await limiter.aclose()


@pytest.mark.asyncio
async def test_a_throttle_cuts_with_the_ok_count_of_every_process(
    redis_url: str, key_prefix: str
) -> None:
    first = RedisLimiter(redis_url, key_prefix=key_prefix)
    second = RedisLimiter(redis_url, key_prefix=key_prefix)
    try:
        await first.acquire("get_topic")
        for _ in range(40):
            first.feedback("get_topic", throttled=False)
        await first.acquire("get_topic")  # reports the 40 OK answers
        await second.acquire("get_topic")  # learns the app's count
        second.feedback("get_topic", throttled=True)
        cut = second.effective_rate("get_topic")
        assert 0.95 * 30 <= cut <= 0.95 * 40 + 0.1  # not 0.95 x 0 (its own count)
        assert first.effective_rate("get_topic") == pytest.approx(196.02)
        assert second.configured_rate("get_topic") == pytest.approx(196.02)
    finally:
        await first.aclose()
        await second.aclose()


@pytest.mark.asyncio
async def test_fixed_rate_when_not_adaptive(redis_url: str, key_prefix: str) -> None:
    limiter = RedisLimiter(redis_url, key_prefix=key_prefix, adaptive=False)
    try:
        await limiter.acquire("get_topic")
        limiter.feedback("get_topic", throttled=True)
        assert limiter.effective_rate("get_topic") == pytest.approx(196.02)
    finally:
        await limiter.aclose()


@pytest.mark.asyncio
async def test_aclose_releases_the_connections(
    redis_url: str, key_prefix: str, raw: aioredis.Redis
) -> None:
    limiter = RedisLimiter(redis_url, key_prefix=key_prefix)
    await limiter.acquire("get_topic")
    await limiter.ping()
    before = (await raw.info("clients"))["connected_clients"]
    await limiter.aclose()
    for _ in range(50):
        after = (await raw.info("clients"))["connected_clients"]
        if after < before:
            break
        await asyncio.sleep(0.02)
    assert after < before


# --- Redis unreachable: no redis-server needed -------------------------------------------


@pytest.mark.asyncio
async def test_unreachable_redis_is_a_clear_error_without_the_password() -> None:
    limiter = RedisLimiter(closed_port_url("s3cret-pw"), key_prefix="p", timeout=1)
    try:
        with pytest.raises(LimiterUnavailableError) as caught:
            await limiter.acquire("get_topic")
        message = str(caught.value)
        assert "s3cret-pw" not in message
        assert ":***@127.0.0.1" in message
        assert "fallback_divisor" in message
        assert isinstance(caught.value, TimTopicsError)
        with pytest.raises(LimiterUnavailableError):
            await limiter.ping()
        assert "s3cret-pw" not in repr(limiter)
    finally:
        await limiter.aclose()


@pytest.mark.asyncio
async def test_fallback_limits_this_process_at_rate_over_n_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = RedisLimiter(
        closed_port_url("s3cret-pw"),
        key_prefix="p",
        rate_limit=200,
        per_command={"import_topic": 100},
        fallback_divisor=4,
        timeout=1,
    )
    try:
        with caplog.at_level(logging.WARNING, logger="tim_topics.redis_limiter"):
            for _ in range(3):
                await asyncio.wait_for(limiter.acquire("get_topic"), 5)
            await asyncio.wait_for(limiter.acquire("import_topic"), 5)
        assert limiter.using_fallback
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "s3cret-pw" not in caplog.text
        assert limiter.effective_rate("get_topic") == pytest.approx(bucket_shape(50)[1])
        assert limiter.effective_rate("import_topic") == pytest.approx(bucket_shape(25)[1])
        limiter.feedback("get_topic", throttled=True)  # reaches the fallback's adaptive rate
        assert limiter.effective_rate("get_topic") < bucket_shape(50)[1]
    finally:
        await limiter.aclose()


# --- construction ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"key_prefix": ""}, "key_prefix"),
        ({"key_prefix": "p", "fallback_divisor": 0}, "fallback_divisor"),
        ({"key_prefix": "p", "fallback_divisor": True}, "fallback_divisor"),
        ({"key_prefix": "p", "rate_limit": 0}, "rate_limit"),
        ({"key_prefix": "p", "timeout": 0}, "timeout"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RedisLimiter("redis://127.0.0.1:6379/0", **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_bad_url_is_a_validation_error_without_the_password() -> None:
    with pytest.raises(ValidationError) as caught:
        RedisLimiter("http://:s3cret-pw@127.0.0.1:6379/0", key_prefix="p")
    assert caught.value.field == "redis_url"
    assert "s3cret-pw" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://:pw@host:6379/0", "redis://:***@host:6379/0"),
        ("rediss://user:pw@host/1", "rediss://user:***@host/1"),
        ("redis://pw@host/0", "redis://***@host/0"),
        ("unix:///tmp/r.sock?db=0&password=pw", "unix:///tmp/r.sock?db=0&password=***"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_tim_topics_works_without_redis_installed() -> None:
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "import tim_topics, tim_topics.redis_limiter as m\n"
        "try:\n"
        "    m.RedisLimiter(key_prefix='p')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'tim-topics[redis]'" in done.stdout
