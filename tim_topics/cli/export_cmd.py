"""``tim-topics export``: every topic of some groups, as a JSON Lines file ``tim-topics
import`` reads (to move topics to another app).

The groups come from ``--group-id`` (repeatable) and ``--groups-file`` (one group ID per
line). Progress (groups read of the groups asked for, calls per second) goes to stderr, the
records to ``-o FILE`` (written to a temporary file renamed over FILE at the end) or stdout.
Exit status: 0 when every topic of every group was exported, 1 when a group or topic could
not be read (the file holds the others), 2 for bad arguments or environment, 130 when
interrupted (FILE is then left as it was).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Final, TextIO

import attrs

from ..bulk.export import DEFAULT_CONCURRENCY, ExportItem, export_topics, record_line
from ..client import TopicClient
from ..endpoints import SERVICE_RATE_LIMIT
from ..errors import TimTopicsError, ValidationError
from ..validation import check_group_id
from .arguments import positive_float, positive_int
from .env import ENV_HELP, EnvError, credentials_from_env, make_client
from .exits import EXIT_FAILURES, EXIT_INTERRUPTED, EXIT_OK, fail, say
from .logs import configure_logging
from .progress import ImportTally, ProgressDisplay, ProgressWatch, Snapshot, format_duration
from .signals import Interrupted, stop_signals

#: Failures the summary lists.
SUMMARY_FAILURES: Final = 20
STDOUT: Final = "-"


@attrs.define
class ExportTally:
    """What the export has done so far."""

    groups: int
    groups_read: int = 0
    exported: int = 0
    deleted: int = 0
    failed: list[ExportItem] = attrs.field(factory=list)

    def add(self, item: ExportItem) -> None:
        if item.status == "exported":
            self.exported += 1
        elif item.status == "deleted":
            self.deleted += 1
        else:
            self.failed.append(item)


class ExportWatch(ProgressWatch):
    """The import's progress figures for an export: groups read of the groups asked for,
    get_topic calls per second against the limit, failures."""

    def __init__(self, tally: ExportTally, client: TopicClient, limit: float) -> None:
        super().__init__(ImportTally(total=tally.groups), client, "get_topic", limit)
        self.export = tally

    def snapshot(self) -> Snapshot:
        self.tally.imported = self.export.groups_read
        self.tally.failed = len(self.export.failed)
        return super().snapshot()


def groups_from(group_ids: Sequence[str], groups_file: Path | None) -> list[str]:
    """The groups asked for, in order, each once: ``--group-id`` values, then the lines of
    ``--groups-file`` (blank lines and ``#`` comments skipped). ValueError naming the bad one."""
    groups: list[str] = []
    for value in group_ids:
        try:
            groups.append(check_group_id(value, "--group-id"))
        except ValidationError as exc:
            raise ValueError(str(exc)) from None
    if groups_file is not None:
        try:
            text = groups_file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read --groups-file {str(groups_file)!r}: {exc}") from None
        for number, line in enumerate(text.splitlines(), start=1):
            value = line.strip()
            if not value or value.startswith("#"):
                continue
            try:
                groups.append(check_group_id(value, f"{groups_file.name} line {number}"))
            except ValidationError as exc:
                raise ValueError(str(exc)) from None
    if not groups:
        raise ValueError("no group to export: give --group-id G (repeatable) or --groups-file F")
    return list(dict.fromkeys(groups))


async def export_to(
    client: TopicClient,
    groups: Sequence[str],
    out: IO[bytes],
    *,
    group_map: dict[str, str] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    rate_limit: float = SERVICE_RATE_LIMIT,
    stream: TextIO | None = None,
) -> ExportTally:
    """Write every topic of ``groups`` to ``out`` as JSON Lines, showing progress on
    ``stream`` (stderr)."""
    tally = ExportTally(groups=len(groups))
    display = ProgressDisplay(
        ExportWatch(tally, client, rate_limit),
        stream or sys.stderr,
        label=f"export of {len(groups)} groups",
    )

    def group_read(_: str) -> None:
        tally.groups_read += 1

    display.start()
    ticker = asyncio.create_task(display.run())
    try:
        items = export_topics(
            client,
            groups,
            group_map=group_map,
            concurrency=concurrency,
            on_group_read=group_read,
        )
        async for item in items:
            tally.add(item)
            if item.record is not None:
                out.write(record_line(item.record))
    finally:
        ticker.cancel()
        display.stop()
    return tally


def summary_lines(tally: ExportTally, target: str, elapsed: float) -> list[str]:
    lines = [
        f"Exported {tally.exported} topics of {tally.groups_read} groups to {target} in "
        f"{format_duration(elapsed)}"
        + (f" ({tally.deleted} deleted while read, skipped)" if tally.deleted else ""),
    ]
    if tally.failed:
        lines.append(
            f"  failures : {len(tally.failed)} could not be read; {target} lacks them: run "
            "the same command again"
        )
        for item in tally.failed[:SUMMARY_FAILURES]:
            what = f"topic {item.topic_id}" if item.topic_id else f"group {item.group_id}"
            lines.append(f"    {what}: {item.error}")
        if len(tally.failed) > SUMMARY_FAILURES:
            lines.append(f"    ... and {len(tally.failed) - SUMMARY_FAILURES} more")
    else:
        lines.append("  failures : none")
    return lines


def register(subparsers: Any) -> None:
    """Add the ``export`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "export",
        help="write every topic of some groups as JSON Lines, for tim-topics import",
        description=(
            "Write every topic of the groups (name, texts, creation time, custom topic ID) "
            "as JSON Lines in the format tim-topics import reads, to move them to another "
            "app. A topic ID the service assigned cannot be reused as a custom ID, so it is "
            "written as SourceTopicId: the import gets a new one and its --id-map says which. "
            + ENV_HELP
        ),
    )
    parser.add_argument(
        "--group-id", action="append", default=[], help="a group to export; repeat for more"
    )
    parser.add_argument(
        "--groups-file", type=Path, help="a file of group IDs, one per line ('#' comments)"
    )
    parser.add_argument(
        "-o", "--output", default=STDOUT, help="the JSON Lines file to write (default: stdout)"
    )
    parser.add_argument(
        "--map-group",
        nargs=2,
        action="append",
        default=[],
        metavar=("SOURCE", "DEST"),
        help=(
            "write SOURCE's topics into group DEST of the destination app (custom topic IDs "
            "move with them); repeat for more"
        ),
    )
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=DEFAULT_CONCURRENCY,
        help=f"groups read at once (default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--rate-limit",
        type=positive_float,
        default=float(SERVICE_RATE_LIMIT),
        help="get_topic calls per second (default 200, the service's limit)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log retries")
    parser.set_defaults(run=run)


def _group_map(pairs: Sequence[Sequence[str]]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for source, target in pairs:
        try:
            check_group_id(source, "--map-group SOURCE")
            check_group_id(target, "--map-group DEST")
        except ValidationError as exc:
            raise ValueError(str(exc)) from None
        if mapping.setdefault(source, target) != target:
            raise ValueError(f"--map-group gives two groups for {source!r}")
    return mapping


def run(args: argparse.Namespace) -> int:
    try:
        groups = groups_from(args.group_id, args.groups_file)
        group_map = _group_map(args.map_group)
        credentials = credentials_from_env(os.environ)
    except (ValueError, EnvError) as exc:
        return fail("export", exc)
    configure_logging(args.verbose)
    to_stdout = args.output == STDOUT
    target = "stdout" if to_stdout else str(args.output)
    path = Path(args.output)
    temporary = path.with_name(path.name + ".tmp")

    async def main(out: IO[bytes]) -> ExportTally:
        async with make_client(credentials, rate_limit=args.rate_limit) as client:
            work = asyncio.ensure_future(
                export_to(
                    client,
                    groups,
                    out,
                    group_map=group_map,
                    concurrency=args.concurrency,
                    rate_limit=args.rate_limit,
                )
            )
            with stop_signals(work) as signals:
                try:
                    return await work
                except asyncio.CancelledError:
                    if not signals.received:
                        raise
                    raise Interrupted from None

    started = time.monotonic()
    done = False
    try:
        if to_stdout:
            tally = asyncio.run(main(sys.stdout.buffer))
            sys.stdout.flush()
        else:
            with temporary.open("wb") as handle:
                tally = asyncio.run(main(handle))
            os.replace(temporary, path)
        done = True
    except (ValidationError, EnvError) as exc:
        return fail("export", exc)
    except TimTopicsError as exc:
        return fail("export", exc, EXIT_FAILURES)
    except OSError as exc:
        return fail("export", f"cannot write {target}: {exc.strerror}")
    except (KeyboardInterrupt, Interrupted):
        say("export", f"interrupted; {target} was not written")
        return EXIT_INTERRUPTED
    finally:
        if not done and not to_stdout:
            temporary.unlink(missing_ok=True)
    summary = summary_lines(tally, target, time.monotonic() - started)
    print("\n".join(summary), file=sys.stderr if to_stdout else sys.stdout, flush=True)
    return EXIT_FAILURES if tally.failed else EXIT_OK


__all__ = ["ExportTally", "export_to", "groups_from", "register", "run"]
