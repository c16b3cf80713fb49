"""What the commands print reads right: plurals, and help texts that match behaviour."""

from __future__ import annotations

import pytest

from tim_topics.cli.main import main
from tim_topics.cli.summary import count, were


@pytest.mark.parametrize(
    ("number", "expected"), [(0, "0 records"), (1, "1 record"), (2, "2 records")]
)
def test_counts_take_the_right_form(number: int, expected: str) -> None:
    assert count(number, "record") == expected
    assert count(number, "bad line") == expected.replace("record", "bad line")
    assert were(number) == ("was" if number == 1 else "were")


def test_the_failures_default_in_the_help_is_what_is_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "topics.jsonl -> topics.failed.jsonl" in help_text
