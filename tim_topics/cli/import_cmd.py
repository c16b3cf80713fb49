"""``tim-topics import``: import a JSON Lines or CSV file of topics, resumably.

This module is the command line: the arguments, the job they describe and the exit status.
The run is :func:`tim_topics.cli.import_run.import_file` (shared with the demo), the summary
:mod:`tim_topics.cli.summary`, the journal's identity and the failures file live next to the
bulk engine (:mod:`tim_topics.bulk.file_job`, :mod:`tim_topics.bulk.failures_file`). The
exit status is 0 only when every record of the input is there.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import Any

from ..bulk.destination import Destination, endpoint_of
from ..bulk.file_job import ImportJob
from ..bulk.inputs import InputFormat, InputFormatError
from ..bulk.journal import JournalError
from ..bulk.outage import DEFAULT_OUTAGE_LIMIT
from ..endpoints import SERVICE_RATE_LIMIT
from ..errors import TimTopicsError
from ..redis_limiter import LimiterUnavailableError
from .arguments import positive_float, positive_int
from .env import ENV_HELP, REDIS_URL_ENV, EnvError, credentials_from_env, make_client
from .exits import EXIT_FAILURES, EXIT_INTERRUPTED, EXIT_OUTAGE, fail
from .import_run import import_file
from .logs import configure_logging
from .redis_url import redis_url_from, shared_limiter
from .summary import ImportReport, print_summary


def register(subparsers: Any) -> None:
    """Add the ``import`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "import",
        help="import topics from a JSON Lines or CSV file (resumable)",
        description=(
            "Import topics from FILE: JSON Lines whose objects use the request body keys "
            "(GroupId, TopicId, TopicName, CreateTime, From_Account, CustomString, FaceUrl, "
            "Notification, Introduction), or a .csv file with those keys as column headers. "
            "A journal makes it resumable: after Ctrl-C, a crash or kill -9, run the same "
            "command again to finish; nothing is lost or imported twice. Bad lines and "
            "refused records are reported and written to the failures file. " + ENV_HELP
        ),
    )
    parser.add_argument("file", type=Path, help="the topics, .jsonl or .csv")
    parser.add_argument("--group-id", help="the GroupId of records that have none")
    parser.add_argument(
        "--command",
        choices=("import", "create"),
        default="import",
        help="import_topic (no webhooks, keeps CreateTime; the default) or create_topic",
    )
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=None,
        help=(
            "the most records in flight (default: no cap; as many as the rate limit needs at "
            "the latency observed: rate x latency plus headroom, growing and shrinking with it)"
        ),
    )
    parser.add_argument(
        "--rate-limit",
        type=positive_float,
        default=float(SERVICE_RATE_LIMIT),
        help="calls per second (default 200, the service's limit per command)",
    )
    parser.add_argument(
        "--journal",
        type=Path,
        help=(
            "the journal (default FILE.APP.journal, or FILE.APP-HOST-PORT.journal with "
            "TIM_BASE_URL: one per destination); a journal of another app or endpoint is refused"
        ),
    )
    parser.add_argument(
        "--failures",
        type=Path,
        help="where failed records go (default: beside FILE, '.failed' before its "
        "extension: topics.jsonl -> topics.failed.jsonl)",
    )
    parser.add_argument(
        "--id-map",
        type=Path,
        help=(
            "write 'SourceTopicId<TAB>new TopicId' for each exported record (tim-topics "
            "export) to this file, rewritten by each run"
        ),
    )
    parser.add_argument(
        "--redis-url",
        help=(
            "share one rate budget per command with every importer using this Redis "
            f"(redis://host:port/db; default ${REDIS_URL_ENV}); a URL with a password must "
            f"come from ${REDIS_URL_ENV}, not the command line"
        ),
    )
    parser.add_argument(
        "--outage-limit",
        type=positive_float,
        default=DEFAULT_OUTAGE_LIMIT,
        metavar="SECONDS",
        help=(
            "when the endpoint cannot be reached (refused, DNS, TLS) or the shared Redis is "
            "down, the import pauses and retries; after this long it stops, marking nothing "
            f"failed, and exits {EXIT_OUTAGE} (default {DEFAULT_OUTAGE_LIMIT:g})"
        ),
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log retries and settling")
    parser.set_defaults(run=run)


def default_journal(source: Path, destination: Destination | None) -> Path:
    """``FILE.<app>.journal`` (``FILE.<app>-<host>-<port>.journal`` for a base URL): one per
    destination, so a test import and a production one never share a journal."""
    if destination is None:
        return source.with_name(source.name + ".journal")
    return source.with_name(f"{source.name}.{destination.file_tag}.journal")


def job_from_args(args: argparse.Namespace, destination: Destination | None = None) -> ImportJob:
    """The job the arguments describe; ValueError with a clear message if they describe none.
    ``destination`` (the app and endpoint) names the default journal."""
    source: Path = args.file
    if not source.is_file():
        raise ValueError(f"{str(source)!r} is not a file")
    fmt: InputFormat = "csv" if source.suffix.lower() == ".csv" else "jsonl"
    suffix = ".csv" if fmt == "csv" else ".jsonl"
    journal = args.journal or default_journal(source, destination)
    failures = args.failures or source.with_name(source.stem + ".failed" + suffix)
    if failures.resolve() == source.resolve():
        raise ValueError("--failures must not be the input file itself")
    if args.id_map is not None and args.id_map.resolve() == source.resolve():
        raise ValueError("--id-map must not be the input file itself")
    return ImportJob(
        input=source,
        command=args.command,
        group_id=args.group_id,
        concurrency=args.concurrency,
        rate_limit=args.rate_limit,
        journal=journal,
        failures=failures,
        fmt=fmt,
        id_map=args.id_map,
        outage_limit=args.outage_limit,
    )


def run(args: argparse.Namespace) -> int:
    try:
        credentials = credentials_from_env(os.environ)
        job = job_from_args(
            args, Destination(credentials.sdkappid, endpoint_of(credentials.endpoint))
        )
        redis_url = redis_url_from(args.redis_url, os.environ)
    except (ValueError, EnvError) as exc:
        return fail("import", exc)
    configure_logging(args.verbose)

    async def main() -> ImportReport:
        async with (
            shared_limiter(redis_url, credentials.sdkappid, job.rate_limit) as limiter,
            make_client(credentials, rate_limit=job.rate_limit, limiter=limiter) as client,
        ):
            return await import_file(job, client)

    try:
        report = asyncio.run(main())
    except (EnvError, InputFormatError, JournalError, LimiterUnavailableError) as exc:
        return fail("import", exc)
    except TimTopicsError as exc:
        return fail("import", exc, EXIT_FAILURES)
    except KeyboardInterrupt:  # pragma: no cover - only where signal handlers are missing
        return EXIT_INTERRUPTED
    print_summary(report)
    return report.exit_status


#: Names callers used from here before they moved (the demo now takes them from their homes).
__all__ = [
    "ImportJob",
    "ImportReport",
    "import_file",
    "print_summary",
    "register",
    "run",
]
