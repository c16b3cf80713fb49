"""No secret key and no UserSig in logs, exception messages, reprs or tracebacks, on any
error path, with DEBUG logging on everywhere."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable

import pytest
from support.constants import ADMIN, GROUP, SDKAPPID, SECRET
from support.scripted import DROP, ScriptedServer, fail, ok

from tim_topics import RetryPolicy, TopicClient
from tim_topics.emulator import Emulator

pytestmark = pytest.mark.asyncio

FAST = RetryPolicy(max_attempts=3, max_total=5.0, initial_wait=0.001, max_wait=0.01)
HTML = b"<html><body>502 Bad Gateway</body></html>"


async def test_no_secret_on_any_error_path(
    scripted: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    texts: list[str] = []

    async def collect(call: Callable[[], Awaitable[object]]) -> None:
        try:
            await call()
        except Exception as exc:
            texts.extend([str(exc), repr(exc), "".join(traceback.format_exception(exc))])
        else:
            texts.append("no error")

    async def slow(seen: object) -> tuple[int, bytes]:
        await asyncio.sleep(0.5)
        return ok()

    scripts = [
        [fail(70001, "expired"), fail(70001, "expired")],
        [fail(70009, "bad sig")],
        [fail(10002), fail(10006), fail(60008)],
        [(502, HTML)] * 3,
        [DROP],
        [(200, b"not json at all")] * 3,
        [(200, b'{"ErrorCode": 0, "TopicId": 7}')],
        [slow] * 3,
    ]
    async with TopicClient(
        SDKAPPID, ADMIN, SECRET, base_url=scripted.url, retry=FAST, timeout=0.2
    ) as client:
        texts.append(repr(client))
        for script in scripts:
            scripted.script.clear()
            scripted.reply(*script)
            await collect(lambda: client.create_topic(GROUP, "t"))
            scripted.reply(*script)
            await collect(lambda: client.get_topic(GROUP))
        await collect(lambda: client.create_topic(GROUP, "x" * 31))
        await collect(lambda: client.modify_topic(GROUP, "bad", topic_name="t"))
    await collect(lambda: client.get_topic(GROUP))  # closed

    refused = TopicClient(SDKAPPID, ADMIN, SECRET, base_url="http://127.0.0.1:9", retry=FAST)
    async with refused:
        await collect(lambda: refused.get_topic(GROUP))
        texts.append(repr(refused))
    refused_sig = refused._usersig.current()  # type: ignore[attr-defined]

    async with Emulator(sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP]) as emu:
        emu.fail_next("get_topic", kind="drop_before")
        async with TopicClient(SDKAPPID, ADMIN, SECRET, base_url=emu.url, retry=FAST) as real:
            await collect(lambda: real.get_topic(GROUP))
            await collect(lambda: real.destroy_topic(GROUP, [GROUP + "@TOPIC#_nope"]))
            real_sig = real._usersig.current()  # type: ignore[attr-defined]
        texts.append(repr(emu))
        async with TopicClient(SDKAPPID, ADMIN, "wrong-key", base_url=emu.url, retry=FAST) as wrong:
            await collect(lambda: wrong.get_topic(GROUP))

    sigs = {seen.query["usersig"] for seen in scripted.seen} | {refused_sig, real_sig}
    assert sigs  # every UserSig that went out is checked (same-second renewals are equal)
    everything = "\n".join(texts) + "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records, "DEBUG logging produced nothing to check"
    assert SECRET not in everything
    for sig in sigs:
        assert sig not in everything
        assert sig[:40] not in everything
