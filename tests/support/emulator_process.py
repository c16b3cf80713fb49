"""The emulator as the real ``tim-topics emulator`` command, in a process of its own.

A service far away has CPUs of its own. An emulator on a thread of the test process shares
the client's interpreter lock instead: while the client holds it (starting hundreds of
calls, or a collection of its garbage), the emulator cannot stamp what arrives, and later
counts those arrivals together, as if the client had sent them together. A test that
judges the client by the busiest second the service saw needs the service in a process of
its own (the benchmarks' far service is one too).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp

from .constants import GROUP, SDKAPPID, SECRET

#: The line the command prints once it serves.
URL_LINE = re.compile(r"Emulator listening on (http://127\.0\.0\.1:\d+)\n")
#: Seconds to start or stop: generous, it only proves "did not hang".
WAIT = 30.0


async def start_emulator_command(
    *options: str, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """``tim-topics emulator --sdkappid SDKAPPID --group GROUP *options``, its output piped;
    the secret key from ``$TIM_SECRET_KEY`` (``env`` replaces the environment when given)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tim_topics.cli.main",
        "emulator",
        "--sdkappid",
        str(SDKAPPID),
        "--group",
        GROUP,
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env if env is not None else {**os.environ, "TIM_SECRET_KEY": SECRET},
    )


async def read_url(process: asyncio.subprocess.Process) -> str:
    """The URL the command serves at, from its first line of output."""
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), WAIT)).decode()
    match = URL_LINE.fullmatch(line)
    assert match, f"not the URL line: {line!r}"
    return match.group(1)


class EmulatorProcess:
    """A running ``tim-topics emulator`` command: its ``url`` and its ``stats()``."""

    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process = process
        self.url = url

    async def stats(self) -> dict[str, Any]:
        """What ``GET /stats`` shows now (totals, and ``commands`` by name)."""
        async with aiohttp.ClientSession() as http, http.get(self.url + "/stats") as response:
            shown: dict[str, Any] = await response.json()
        return shown


@contextlib.asynccontextmanager
async def emulator_process(options: Sequence[str] = ()) -> AsyncIterator[EmulatorProcess]:
    """Serve the command with ``options`` for the block; SIGTERM after it (killed if it does
    not stop in time)."""
    process = await start_emulator_command(*options)
    try:
        yield EmulatorProcess(process, await read_url(process))
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), WAIT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
