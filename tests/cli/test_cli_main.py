"""The top level of the ``tim-topics`` command: version and help."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pytest

import tim_topics
from tim_topics.cli.main import main
from tim_topics.gc_tuning import GC_FIRST_THRESHOLD


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"tim-topics {tim_topics.__version__}"


def test_help_says_what_the_program_does(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "topics of Tencent Cloud Chat" in out
    for command in ("demo", "import", "export", "emulator"):
        assert command in out


def test_the_console_script_tunes_the_garbage_collector_of_its_own_process() -> None:
    """The installed ``tim-topics`` runs ``run``, which freezes start-up objects and
    collects young ones less often; importing the library (or calling ``main``) leaves the
    host's collector alone."""
    script = entry_points(group="console_scripts")["tim-topics"]
    assert script.value == "tim_topics.cli.main:run"
    probe = (
        "import gc, tim_topics, tim_topics.cli.main\n"
        "before = gc.get_threshold()[0]\n"
        "tim_topics.tune_gc()\n"
        "print(before, gc.get_threshold()[0], gc.get_freeze_count() > 0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    before, after, frozen = out
    assert int(before) < GC_FIRST_THRESHOLD  # Python's own: 700 (2,000 from 3.13)
    assert (after, frozen) == (str(GC_FIRST_THRESHOLD), "True")
