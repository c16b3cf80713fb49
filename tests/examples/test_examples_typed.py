"""The examples are part of the documentation: they pass ``mypy --strict`` and ruff."""

from __future__ import annotations

import subprocess
import sys

from support.examples import EXAMPLES, RUN_TIMEOUT

ROOT = EXAMPLES.parent


def test_examples_pass_mypy_strict() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(EXAMPLES)],
        capture_output=True,
        text=True,
        cwd=ROOT,  # the project's [tool.mypy] settings (python_version 3.10)
        timeout=RUN_TIMEOUT * 2,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_examples_pass_ruff() -> None:
    for command in (["check"], ["format", "--check"]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *command, str(EXAMPLES)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_every_example_is_documented_and_tested() -> None:
    examples = sorted(path.stem for path in EXAMPLES.glob("*.py"))
    assert examples == ["aiohttp_app", "bot", "fastapi_app", "migration"]
    readme = (EXAMPLES / "README.md").read_text()
    tests = {path.stem for path in (ROOT / "tests" / "examples").glob("test_*.py")}
    for name in examples:
        assert f"{name}.py" in readme
        assert any(test.startswith(f"test_{name}") for test in tests), name
