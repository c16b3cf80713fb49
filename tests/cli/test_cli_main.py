"""The top level of the ``tim-topics`` command: version and help."""

from __future__ import annotations

import pytest

import tim_topics
from tim_topics.cli.main import main


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
