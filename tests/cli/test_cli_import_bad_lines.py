"""``tim-topics import`` on lines that used to kill it: any line is a bad line with its
number and reason, the summary and the failures file follow, and a resume does not die
on the same line. A file that is not JSON Lines stops before anything is done, with the
command that converts it."""

from __future__ import annotations

from pathlib import Path

from support.cli import EmulatorThread, body, run_cli, write_jsonl
from support.constants import GROUP


def test_nested_huge_and_truncated_lines_are_bad_lines_on_every_run(tmp_path: Path) -> None:
    nested = b"[" * 100_000 + b"\n"
    huge = b'{"GroupId": "' + GROUP.encode() + b'", "TopicName": "' + b"x" * 2_000_000 + b'"}\n'
    truncated = b'{"GroupId": "' + GROUP.encode() + b'", "TopicName": "cut\n'
    entries: list[dict[str, object] | bytes] = [body(n) for n in range(10)]
    entries[2], entries[5], entries[8] = nested, huge, truncated
    source = write_jsonl(tmp_path / "topics.jsonl", entries)
    failures = tmp_path / "failed.jsonl"
    args = ["import", str(source), "--failures", str(failures)]
    with EmulatorThread() as emu:
        for run in range(2):
            result = run_cli(args, emu.environment())
            assert result.returncode == 1, result.stderr
            assert "Traceback" not in result.stderr
            assert "line 3: not a record: the JSON is nested too deeply" in result.stderr
            assert "line 6: the line is 2,000," in result.stderr
            assert "line 9: not valid JSON: Unterminated string starting at column" in result.stderr
            assert "7 of 10 records there" in result.stdout, (run, result.stdout)
        assert emu.count() == 7
    written = failures.read_bytes().splitlines(keepends=True)
    assert written[0] == nested and written[2] == truncated
    assert written[1].startswith(huge[:1000])


def test_a_json_array_file_stops_with_the_conversion_and_no_journal(tmp_path: Path) -> None:
    source = tmp_path / "topics.json"
    source.write_text(f'[\n  {{"GroupId": "{GROUP}", "TopicName": "a"}}\n]\n', encoding="utf-8")
    with EmulatorThread() as emu:
        result = run_cli(["import", str(source)], emu.environment())
        assert emu.count() == 0
    assert result.returncode == 2
    assert "the file is one JSON array, but JSON Lines is expected" in result.stderr
    assert "jq -c '.[]' topics.json > records.jsonl" in result.stderr
    assert not list(tmp_path.glob("*.journal"))  # no journal of any name was made
