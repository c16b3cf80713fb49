"""Loading and running the files of ``examples/`` in the tests."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tim_topics.emulator import Emulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: A bound on how long one example may run: a hung example fails instead of hanging CI.
RUN_TIMEOUT = 120.0


def load_example(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as a module (registered, so pydantic and dataclasses
    can resolve its annotations)."""
    module_name = f"example_{name}"
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def example_env(**extra: str) -> dict[str, str]:
    """The environment of an example run: no TIM_* variables of the machine's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIM_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run_example(name: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python examples/<name>.py ARGS`` to the end; its output as text."""
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=example_env(),
        cwd=cwd,
        check=False,
    )


async def start_example(name: str, *args: str, **env: str) -> asyncio.subprocess.Process:
    """Start ``python examples/<name>.py ARGS`` (stdout piped, stderr merged into it)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / f"{name}.py"),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=example_env(**env),
    )


async def read_until(process: asyncio.subprocess.Process, text: str) -> str:
    """The process's output up to the first line holding ``text``; AssertionError with
    the output if it ends (or RUN_TIMEOUT passes) first."""
    assert process.stdout is not None
    seen: list[str] = []

    async def scan() -> None:
        while True:
            line = (await process.stdout.readline()).decode()  # type: ignore[union-attr]
            if not line:
                raise AssertionError(f"ended before {text!r}:\n{''.join(seen)}")
            seen.append(line)
            if text in line:
                return

    await asyncio.wait_for(scan(), RUN_TIMEOUT)
    return "".join(seen)


async def interrupt(process: asyncio.subprocess.Process) -> tuple[int, str]:
    """Ctrl-C the process; its exit status and the rest of its output."""
    process.send_signal(signal.SIGINT)
    rest, _ = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, rest.decode()


async def app_socket_and_emulator(
    sdkappid: int, secret_key: str, token: str, group: str
) -> tuple[socket.socket, str, Emulator]:
    """A free loopback socket for the example app, its URL, and a started emulator whose
    signed webhooks go back to the app's ``/tim/callback``."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    emu = Emulator(
        sdkappid=sdkappid,
        secret_key=secret_key,
        groups=[group],
        webhook_url=url + "/tim/callback",
        webhook_token=token,
    )
    await emu.start()
    return sock, url, emu
