"""``tim-topics demo``: the README's first command works without any setup."""

from __future__ import annotations

import os

from support.cli import run_cli


def test_the_demo_imports_its_sample_and_reports_the_rate() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIM_")}
    result = run_cli(["demo", "--count", "150"], env)
    assert result.returncode == 0, result.stderr
    assert "150 of 150 records there" in result.stdout
    assert "against the 200/s limit" in result.stdout
    assert "busiest sliding second" in result.stdout
    assert "Emulator listening on http://127.0.0.1:" in result.stderr
