"""Helpers of the command-line tests: an emulator served from a thread of the test process
(so tests can look at its state while a ``tim-topics`` subprocess talks to it), and a way
to run the command line."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from tim_topics.emulator import Emulator

from .constants import ADMIN, GROUP, OTHER_GROUP, SDKAPPID, SECRET

GROUPS = (GROUP, OTHER_GROUP)

T = TypeVar("T")


class EmulatorThread:
    """An :class:`Emulator` running in its own event loop on a background thread."""

    def __init__(self, rate_limit: int = 200, port: int = 0, *, sdkappid: int = SDKAPPID) -> None:
        self.rate_limit = rate_limit
        self.port = port
        self.sdkappid = sdkappid
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.emulator: Emulator | None = None
        self.url = ""

    def __enter__(self) -> EmulatorThread:
        self.thread.start()

        async def start() -> Emulator:
            emulator = Emulator(
                sdkappid=self.sdkappid,
                secret_key=SECRET,
                identifier=ADMIN,
                groups=GROUPS,
                rate_limit=self.rate_limit,
                port=self.port,
            )
            await emulator.start()
            return emulator

        self.emulator = self._wait(start())
        self.url = self.emulator.url
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.emulator is not None:
            self._wait(self.emulator.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def _wait(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def run(self, action: Callable[[Emulator], T]) -> T:
        """``action(emulator)`` in the emulator's thread."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def call() -> None:
            try:
                assert self.emulator is not None
                future.set_result(action(self.emulator))
            except BaseException as exc:
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(call)
        return future.result(30)

    def topic_names(self) -> list[tuple[str, str]]:
        """(group, name) of every topic, duplicates kept."""
        return self.run(
            lambda emu: [
                (t.group_id or "", t.topic_name or "") for g in GROUPS for t in emu.topics(g)
            ]
        )

    def count(self) -> int:
        return self.run(lambda emu: sum(len(emu.topics(g)) for g in GROUPS))

    def environment(self) -> dict[str, str]:
        """The environment a ``tim-topics`` process needs to talk to this emulator."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIM_")}
        env.update(
            TIM_SDKAPPID=str(self.sdkappid),
            TIM_SECRET_KEY=SECRET,
            TIM_IDENTIFIER=ADMIN,
            TIM_BASE_URL=self.url,
        )
        return env


def cli(*args: str) -> list[str]:
    """The command line of ``tim-topics ARGS`` with this interpreter."""
    return [sys.executable, "-m", "tim_topics.cli.main", *args]


def start_cli(
    args: Sequence[str], env: dict[str, str], *, stdout: int = subprocess.PIPE
) -> subprocess.Popen[str]:
    """``tim-topics ARGS`` started in the background (stderr piped, text mode)."""
    return subprocess.Popen(cli(*args), env=env, stdout=stdout, stderr=subprocess.PIPE, text=True)


def wait_until(
    reached: Callable[[], bool], process: subprocess.Popen[str], timeout: float = 60
) -> None:
    """Poll ``reached`` until it holds, while ``process`` still runs (fails if it ends
    first, or after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not reached():
        assert process.poll() is None, "the process ended first"
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.005)


def run_cli(
    args: Sequence[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli(*args), env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def body(number: int, *, custom: bool = False) -> dict[str, Any]:
    group = GROUPS[number % 2]
    entry: dict[str, Any] = {
        "GroupId": group,
        "TopicName": f"topic {number}",
        "CreateTime": 1_500_000_000 + number,
    }
    if custom:
        entry["TopicId"] = f"{group}@TOPIC#_t{number}"
    return entry


def write_jsonl(path: Path, bodies: Iterable[dict[str, Any] | bytes]) -> Path:
    with path.open("wb") as handle:
        for entry in bodies:
            if isinstance(entry, bytes):
                handle.write(entry)
            else:
                handle.write(json.dumps(entry, ensure_ascii=False).encode() + b"\n")
    return path
