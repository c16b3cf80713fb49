"""The README's examples: every Python block compiles, and the blocks marked
``<!-- run -->`` run as they are (against the emulator, on loopback)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(?P<marker><!-- run -->\n)?```python\n(?P<code>.*?)```", re.DOTALL)


def blocks() -> list[tuple[int, bool, str]]:
    text = README.read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start("code"))
        found.append((line, match.group("marker") is not None, match.group("code")))
    return found


ALL = blocks()
RUNNABLE = [(line, code) for line, run, code in ALL if run]


def test_the_readme_has_runnable_examples() -> None:
    assert len(RUNNABLE) >= 3


@pytest.mark.parametrize(
    ("line", "code"),
    [(line, code) for line, _, code in ALL],
    ids=lambda v: str(v) if isinstance(v, int) else "",
)
def test_every_block_compiles(line: int, code: str) -> None:
    # fragments may await at top level, as in a notebook or ``python -m asyncio``
    compile(code, f"README.md:{line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


@pytest.mark.parametrize(
    ("line", "code"), RUNNABLE, ids=lambda v: str(v) if isinstance(v, int) else ""
)
def test_marked_blocks_run(line: int, code: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"README.md line {line}:\n{done.stdout}\n{done.stderr}"
