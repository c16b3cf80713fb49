"""MkDocs hook: the benchmark charts (``benchmarks/results/*.png``) on the benchmarks page.

The charts live beside the benchmarks, outside ``docs/``, and a chart may not have been
produced yet: each one that exists is added to the site as ``results/<name>`` (where
``benchmarks/README.md``, included in ``docs/benchmarks.md``, points), and the page's
``<!-- charts -->`` marker becomes the images the README does not show itself. A chart
that is missing is left out, so the build never fails for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
BENCHMARKS_README = ROOT / "benchmarks" / "README.md"
MARKER = "<!-- charts -->"


def charts() -> list[Path]:
    return sorted(RESULTS.glob("*.png")) if RESULTS.is_dir() else []


def on_files(files: Files, config: Any) -> Files:
    for chart in charts():
        files.append(File.generated(config, f"results/{chart.name}", abs_src_path=str(chart)))
    return files


def on_page_markdown(markdown: str, page: Page, config: Any, files: Files) -> str:
    if MARKER not in markdown:
        return markdown
    shown = BENCHMARKS_README.read_text(encoding="utf-8") if BENCHMARKS_README.exists() else ""
    images = [
        f"![{chart.stem}](results/{chart.name})"
        for chart in charts()
        if f"results/{chart.name}" not in shown
    ]
    return markdown.replace(MARKER, "\n\n".join(images))
