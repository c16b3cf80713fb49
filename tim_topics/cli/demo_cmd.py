"""``tim-topics demo``: the bulk importer against the embedded emulator, in one command.

Starts the emulator on 127.0.0.1 (a free port) in this process, writes a sample file of
topics to a temporary folder, imports it with the same code as ``tim-topics import`` (progress
bar, journal, failures file), and prints the summary and the rate achieved against the
service's limit of 200 calls per second.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Final

from ..bulk.file_job import ImportJob
from ..bulk.sample import SAMPLE_GROUPS, write_sample
from ..client import TopicClient
from ..emulator import Emulator, EmulatorStats
from ..endpoints import SERVICE_RATE_LIMIT
from ..errors import TimTopicsError
from .arguments import positive_int
from .exits import EXIT_FAILURES, fail
from .import_run import import_file
from .logs import configure_logging
from .summary import ImportReport, print_summary

DEMO_SDKAPPID: Final = 1400000000
DEMO_ADMIN: Final = "administrator"
MAX_DEMO_COUNT: Final = 1_000_000


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="import sample topics into the embedded emulator, with the progress bar",
        description=(
            "Start the local emulator, write COUNT sample topics to a temporary JSON Lines "
            "file, import them at the service's limit of 200 calls per second and print the "
            "summary and the achieved rate. Needs no credentials and no network."
        ),
    )
    parser.add_argument(
        "--count", type=positive_int, default=2000, help="sample topics (default 2000)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the sample file, journal and failures file"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log retries and settling")
    parser.set_defaults(run=run)


async def run_demo(
    count: int, folder: Path, *, rate_limit: int = SERVICE_RATE_LIMIT
) -> tuple[ImportReport, EmulatorStats, int]:
    """Import ``count`` sample topics into a fresh emulator; the report, the emulator's
    counters and how many topics it holds afterwards."""
    sample = write_sample(folder / "topics.jsonl", count)
    job = ImportJob(
        input=sample,
        journal=folder / "topics.jsonl.journal",
        failures=folder / "topics.failed.jsonl",
        rate_limit=rate_limit,
    )
    secret_key = secrets.token_hex(32)  # a throwaway app: the key never leaves this process
    async with Emulator(
        sdkappid=DEMO_SDKAPPID,
        secret_key=secret_key,
        identifier=DEMO_ADMIN,
        rate_limit=rate_limit,
        groups=SAMPLE_GROUPS,
    ) as emulator:
        print(
            f"Emulator listening on {emulator.url}; importing {count} sample topics from {sample}",
            file=sys.stderr,
            flush=True,
        )
        async with TopicClient(
            DEMO_SDKAPPID,
            DEMO_ADMIN,
            secret_key,
            base_url=emulator.url,
            rate_limit=rate_limit,
        ) as client:
            report = await import_file(job, client)
        held = sum(len(emulator.topics(group)) for group in SAMPLE_GROUPS)
        return report, emulator.stats, held


def demo_lines(report: ImportReport, stats: EmulatorStats, held: int) -> list[str]:
    """What the emulator saw, and the achieved rate against the limit."""
    command = stats.commands["import_topic"]
    limit = report.job.rate_limit
    rate = report.requests / report.elapsed if report.elapsed > 0 else 0.0
    throttled = command.answers.get(10006, 0) + command.rate_limited
    return [
        f"Emulator: {held} topics in {len(SAMPLE_GROUPS)} groups; {command.calls} import_topic "
        f"calls; busiest sliding second: {command.peak_window} calls (limit {limit:g}); "
        f"answered 10006: {throttled}",
        f"Achieved {rate:.1f} calls/s against the {limit:g}/s limit ({100 * rate / limit:.0f}%).",
    ]


def run(args: argparse.Namespace) -> int:
    if args.count > MAX_DEMO_COUNT:
        return fail("demo", f"--count is at most {MAX_DEMO_COUNT}")
    configure_logging(args.verbose)
    folder = Path(tempfile.mkdtemp(prefix="tim-topics-demo-"))
    try:
        report, stats, held = asyncio.run(run_demo(args.count, folder))
    except TimTopicsError as exc:
        return fail("demo", exc, EXIT_FAILURES)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print_summary(report)
    print("\n".join(demo_lines(report, stats, held)), flush=True)
    if args.keep:
        print(f"Files kept in {folder}", flush=True)
    return report.exit_status
