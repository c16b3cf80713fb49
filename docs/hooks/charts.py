"""MkDocs hook: the benchmarks' README and charts on the benchmarks page.

``docs/benchmarks.md`` includes ``benchmarks/README.md``, which lives outside ``docs/``
with its charts (``benchmarks/results/*.png``), and a chart may not have been produced
yet. So each chart that exists is added to the site as ``results/<name>`` (where the
README points); the README is included here, before pymdownx.snippets would, with its
images of charts that do not exist replaced by a note and its links to files beside it
turned into plain paths (they are not pages of the site); and the page's
``<!-- charts -->`` marker becomes the charts the README does not show itself. A missing
chart never fails the build.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
BENCHMARKS_README = ROOT / "benchmarks" / "README.md"
INCLUDE = '--8<-- "benchmarks/README.md"'
MARKER = "<!-- charts -->"
LINK = re.compile(r"(?P<image>!?)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")


def charts() -> list[Path]:
    return sorted(RESULTS.glob("*.png")) if RESULTS.is_dir() else []


def on_files(files: Files, config: Any) -> Files:
    for chart in charts():
        files.append(File.generated(config, f"results/{chart.name}", abs_src_path=str(chart)))
    return files


def _local_link(match: re.Match[str]) -> str:
    target = match.group("target")
    if re.match(r"[a-z]+:|#", target):  # a URL or an anchor: as it is
        return match.group(0)
    if target.startswith("results/") and (ROOT / "benchmarks" / target).is_file():
        return match.group(0)
    if match.group("image"):
        return f"*(chart `benchmarks/{target}` not produced yet)*"
    return f"{match.group('text')} (`benchmarks/{target}`)"


def on_page_markdown(markdown: str, page: Page, config: Any, files: Files) -> str:
    if MARKER not in markdown:
        return markdown
    readme = BENCHMARKS_README.read_text(encoding="utf-8") if BENCHMARKS_README.exists() else ""
    markdown = markdown.replace(INCLUDE, LINK.sub(_local_link, readme))
    images = [
        f"![{chart.stem}](results/{chart.name})"
        for chart in charts()
        if f"results/{chart.name}" not in readme
    ]
    return markdown.replace(MARKER, "\n\n".join(images))
