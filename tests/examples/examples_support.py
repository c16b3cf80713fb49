"""Loading and running the files of ``examples/`` in the tests."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

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
