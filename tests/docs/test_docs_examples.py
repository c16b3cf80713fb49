"""The documentation's examples: every Python block of ``docs/*.md`` and of README.md
compiles, the blocks marked ``<!-- run -->`` run as they are (against the emulator, on
loopback), the pytest example runs without a warning in a new project, every block and
the ``examples/`` folder pass ``mypy --strict``, and ``mkdocs build --strict`` passes.

Markers, on the line just before a ```` ```python ```` fence:

- ``<!-- run -->``: a whole program, run as a subprocess;
- ``<!-- pytest -->``: a test module, run by pytest in a new project configured by the
  page's ``<!-- pytest-config -->`` ```` ```toml ```` block;
- ``<!-- fragment -->``: a deliberate fragment, compiled but left out of mypy (rare).

A ``--8<-- "path"`` line (pymdownx.snippets) is replaced by the file it includes. Blocks
that only include files of ``examples/`` are type-checked as those files.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
#: The README whose blocks are checked too; TIM_TOPICS_README checks a proposed one.
README = Path(os.environ.get("TIM_TOPICS_README", ROOT / "README.md"))
TIMEOUT = 180

BLOCK = re.compile(
    r"^(?:<!-- (?P<kind>[a-z-]+) -->\n)?"
    r"(?P<indent>[ \t]*)```(?P<lang>[a-z]*)[^\n]*\n(?P<code>.*?)^(?P=indent)```[ \t]*$",
    re.DOTALL | re.MULTILINE,
)
SNIPPET = re.compile(r'^[ \t]*--8<--[ \t]+"(?P<path>[^"]+)"[ \t]*$', re.MULTILINE)


class Block(NamedTuple):
    page: str  # the page, relative to the repository
    line: int  # the line of the block's first line of code
    kind: str | None  # run, pytest, fragment, pytest-config or None
    lang: str
    code: str
    includes_only: bool  # only --8<-- lines of examples/ files

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    found = [path for path in sorted(DOCS.rglob("*.md")) if "hooks" not in path.parts]
    return [*found, README]


def expand(code: str) -> str:
    return SNIPPET.sub(lambda m: (ROOT / m.group("path")).read_text(encoding="utf-8"), code)


def blocks_of(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    name = page.relative_to(ROOT).as_posix() if page.is_relative_to(ROOT) else page.name
    found = []
    for match in BLOCK.finditer(text):
        code = textwrap.dedent(match.group("code"))
        lines = [line for line in code.splitlines() if line.strip()]
        includes_only = bool(lines) and all(
            (m := SNIPPET.match(line)) and m.group("path").startswith("examples/") for line in lines
        )
        found.append(
            Block(
                name,
                text.count("\n", 0, match.start("code")) + 1,
                match.group("kind"),
                match.group("lang"),
                expand(code),
                includes_only,
            )
        )
    return found


ALL = [block for page in pages() for block in blocks_of(page)]
PYTHON = [block for block in ALL if block.lang == "python"]
RUNNABLE = [block for block in PYTHON if block.kind == "run"]
TYPED = [block for block in PYTHON if block.kind != "fragment" and not block.includes_only]


def by_place(blocks: list[Block]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("block", blocks, ids=[block.where for block in blocks])


def test_the_docs_have_runnable_examples_on_every_guide() -> None:
    docs_runnable = {block.page for block in RUNNABLE if block.page.startswith("docs/")}
    assert len([b for b in RUNNABLE if b.page.startswith("docs/")]) >= 10
    for guide in ("getting-started", "guides/client", "guides/migration", "guides/testing"):
        assert f"docs/{guide}.md" in docs_runnable, guide
    assert any(block.page == README.name or block.page.endswith("README.md") for block in RUNNABLE)


def test_the_examples_are_included_not_copied() -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path in pages()[:-1])
    for example in sorted(EXAMPLES.glob("*.py")):
        assert f'--8<-- "examples/{example.name}"' in text, example.name


@by_place(PYTHON)
def test_every_block_compiles(block: Block) -> None:
    # fragments may await at top level, as in a notebook or ``python -m asyncio``
    compile(block.code, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


@by_place(RUNNABLE)
def test_marked_blocks_run(block: Block, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(block.code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{block.where}:\n{done.stdout}\n{done.stderr}"


def test_the_pytest_example_runs_without_warnings_in_a_new_project(tmp_path: Path) -> None:
    [config] = [block for block in ALL if block.kind == "pytest-config"]
    tests = [block for block in PYTHON if block.kind == "pytest"]
    assert tests, "no <!-- pytest --> block"
    (tmp_path / "pyproject.toml").write_text(config.code, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    for n, block in enumerate(tests):
        (tmp_path / "tests" / f"test_example_{n}.py").write_text(block.code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": ""},
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert re.search(r"\b[2-9]\d* passed", output), output
    assert "warning" not in output.lower(), output


def module_name(block: Block) -> str:
    return "docs_" + re.sub(r"\W", "_", f"{block.page}_L{block.line}".lower())


def test_every_block_and_example_passes_mypy_strict(tmp_path: Path) -> None:
    for block in TYPED:
        (tmp_path / f"{module_name(block)}.py").write_text(block.code, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--explicit-package-bases",
            str(tmp_path),
            str(EXAMPLES),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,  # the project's [tool.mypy] settings (python_version 3.10)
        timeout=TIMEOUT * 2,
        check=False,
    )
    # name the page and line of each failing block (by module name: mypy's cache may
    # report a block unchanged since an earlier run under that run's temporary path)
    places = {module_name(block): block for block in TYPED}

    def place(match: re.Match[str]) -> str:
        block = places.get(match.group("module"))
        if block is None:
            return match.group(0)
        return f"{block.page}:{block.line + int(match.group('line')) - 1}"

    report = re.sub(r"\S*?(?P<module>docs_\w+)\.py:(?P<line>\d+)", place, done.stdout + done.stderr)
    assert done.returncode == 0, report


@pytest.mark.skipif(
    not all(importlib.util.find_spec(name) for name in ("mkdocs", "material", "mkdocstrings")),
    reason="the docs extra is not installed: pip install -e '.[docs]'",
)
def test_the_site_builds_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,  # snippets are included relative to the repository root
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 2,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    reference = (site / "reference" / "client" / "index.html").read_text(encoding="utf-8")
    assert 'id="tim_topics.TopicClient.create_topic"' in reference  # from the docstrings
    assert ":class:<code>" not in reference  # Sphinx roles shown as code (docs/hooks/roles.py)
    web_apps = (site / "guides" / "web-apps" / "index.html").read_text(encoding="utf-8")
    assert "create_app" in web_apps  # examples/fastapi_app.py, included
    changelog = (site / "changelog" / "index.html").read_text(encoding="utf-8")
    assert "Unreleased" in changelog
