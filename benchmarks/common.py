"""What every benchmark shares: the app constants, an emulator in its own process (so its
CPU is not the client's), and the raw aiohttp calls a user would write instead of ours."""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import random
import time
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

import aiohttp
from TLSSigAPIv2 import TLSSigAPIv2

from tim_topics.endpoints import DEFAULT_SERVICES

SDKAPPID = 1400000000
SECRET = "b" * 64
ADMIN = "administrator"
GROUP = "@TGS#_@TGS#cQVLVHIM62CJ"
LIMIT = 200


def _serve(conn: Connection, options: dict[str, Any]) -> None:
    from tim_topics.emulator import Emulator

    async def main() -> None:
        faults = options.pop("faults", None)
        async with Emulator(sdkappid=SDKAPPID, secret_key=SECRET, groups=[GROUP], **options) as emu:
            if faults:
                emu.set_faults(**faults)
            conn.send(emu.url)
            loop = asyncio.get_running_loop()
            done = loop.create_future()

            def on_message() -> None:
                verb, arg = conn.recv()
                if verb == "stop":
                    loop.remove_reader(conn.fileno())
                    done.set_result(None)
                    return
                if verb == "stats":
                    stats = emu.stats
                    conn.send(
                        {
                            name: {
                                "calls": s.calls,
                                "answers": dict(s.answers),
                                "rate_limited": s.rate_limited,
                                "peak_window": s.peak_window,
                            }
                            for name, s in stats.commands.items()
                        }
                    )
                elif verb == "reset":
                    emu.reset_stats()
                    conn.send(True)
                elif verb == "rate":
                    emu.set_rate_limit(arg)
                    conn.send(True)
                elif verb == "topics":
                    conn.send(len(emu.topics(GROUP)))

            loop.add_reader(conn.fileno(), on_message)
            await done

    asyncio.run(main())


class EmulatorProcess:
    """The emulator serving from a child process: ``url``, ``stats()``, ``reset()``."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._conn: Connection | None = None
        self._process: Any = None
        self.url = ""

    def __enter__(self) -> EmulatorProcess:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child, dict(self._options)), daemon=True)
        self._process.start()
        self._conn = parent
        self.url = parent.recv()
        return self

    def _ask(self, verb: str, arg: Any = None) -> Any:
        assert self._conn is not None
        self._conn.send((verb, arg))
        return self._conn.recv()

    def stats(self, command: str) -> dict[str, Any]:
        stats: dict[str, Any] = self._ask("stats")[command]
        return stats

    def reset(self) -> None:
        self._ask("reset")

    def set_rate_limit(self, limit: int) -> None:
        self._ask("rate", limit)

    def topic_count(self) -> int:
        count: int = self._ask("topics")
        return count

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        self._conn.send(("stop", None))
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


class RawCaller:
    """What a user writes by hand: one aiohttp session, a signed URL, json in and out."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self._session = session
        self._base = base_url
        self._sig = TLSSigAPIv2(SDKAPPID, SECRET).gen_sig(ADMIN)

    async def call(self, command: str, body: Mapping[str, Any]) -> dict[str, Any]:
        url = (
            f"{self._base}/v4/{DEFAULT_SERVICES[command]}/{command}?sdkappid={SDKAPPID}"  # type: ignore[index]
            f"&identifier={ADMIN}&usersig={self._sig}&random={random.getrandbits(32)}"
            "&contenttype=json"
        )
        async with self._session.post(url, data=json.dumps(body)) as response:
            answer: dict[str, Any] = await response.json(content_type=None)
            return answer


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def row(name: str, **figures: Any) -> str:
    parts = [f"{name:<44}"]
    for key, value in figures.items():
        text = f"{value:.3f}" if isinstance(value, float) else str(value)
        parts.append(f"{key}={text}")
    return "  ".join(parts)
