"""Migrate topics from a JSON Lines file into an app: resumable, with progress and a summary.

Install: ``pip install tim-topics``.

Try it with no account: ``python examples/migration.py --emulator`` writes a sample file,
imports it into an embedded emulator (stopping half-way, then resuming with the journal),
and moves the topics to a second app with ``client.export_topics``.

Against the service::

    export TIM_SDKAPPID=1400000000 TIM_SECRET_KEY=...   # or TIM_USERSIG=...
    export TIM_REGION=singapore                         # or TIM_BASE_URL=http://127.0.0.1:9000
    python examples/migration.py topics.jsonl           # journal: topics.jsonl.journal

Each line of the file is one topic, with the request body's keys (what ``tim-topics
export`` writes)::

    {"GroupId": "@TGS#_@TGS#cQVLVHIM62CJ", "TopicName": "General", "CreateTime": 1448357837}

**Resuming.** The journal (a SQLite file) notes every record before its request leaves
and its fate after. Interrupted by Ctrl-C, a crash or ``kill -9``? Run the same command
again, with the same file and journal: what is done is skipped (counted as "done
earlier"), records whose answer was lost are settled by reading their group (never sent
twice), and the rest is imported. A record reported ``unknown`` is settled the same way by
the next run: never re-import it from another file or without the journal.

Exit status: 0 when every record is there, 1 when some failed or are unknown.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from tim_topics import TopicClient, TopicRecord
from tim_topics.bulk.export import record_line
from tim_topics.bulk.id_map import IdMapWriter, read_id_map
from tim_topics.bulk.inputs import count_records, read_records
from tim_topics.emulator import Emulator

DEMO_APP, DEMO_NEW_APP, DEMO_KEY = 1400000000, 1400000001, "demo-secret-key"
DEMO_GROUP = "@TGS#_@TGS#cQVLVHIM62CJ"


def good_records(path: Path, bad: list[str]) -> Iterator[TopicRecord]:
    """The file's readable records, one at a time; the reasons of the bad lines go to
    ``bad`` (nothing is sent for them)."""
    for line in read_records(path):
        if line.record is not None:
            yield line.record
        else:
            bad.append(f"line {line.line}: {line.error}")


async def migrate(
    client: TopicClient, path: Path, journal: Path, *, stop_after: int | None = None
) -> Counter[str]:
    """Import the file's topics with ``journal``; print progress and the summary. The
    statuses counted (``done earlier`` for records an earlier run finished).
    ``stop_after`` stops early, as an interruption would (for the demo)."""
    total = count_records(path)
    bad: list[str] = []
    statuses: Counter[str] = Counter()
    step = max(1, total // 10)
    outcomes = client.import_topics(good_records(path, bad), journal=journal)
    try:
        async for outcome in outcomes:
            statuses["done earlier" if outcome.earlier else outcome.status] += 1
            if outcome.status in ("failed", "unknown"):
                print(f"  {outcome.status}: {outcome.record.topic_name!r}: {outcome.error}")
            done = statuses.total()
            if done % step == 0:
                print(f"  progress: {done}/{total} records")
            if stop_after is not None and done >= stop_after:
                print(f"  stopped after {done} records (as Ctrl-C or a crash would)")
                break
    finally:
        await outcomes.aclose()  # on a break: the records in flight are left to the journal
    for reason in bad:
        print(f"  not sent: {reason}")
    statuses["bad line"] += len(bad)
    summary = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()) if count)
    print(f"summary: {summary}")
    return statuses


async def run(path: Path, journal: Path) -> int:
    """Import ``path`` into the app of the environment's variables."""
    async with TopicClient(
        int(os.environ["TIM_SDKAPPID"]),
        os.environ.get("TIM_IDENTIFIER", "administrator"),
        os.environ.get("TIM_SECRET_KEY"),
        usersig=os.environ.get("TIM_USERSIG"),
        region=os.environ.get("TIM_REGION", "china"),
        base_url=os.environ.get("TIM_BASE_URL"),
    ) as client:
        statuses = await migrate(client, path, journal)
    return 1 if statuses["failed"] or statuses["unknown"] or statuses["bad line"] else 0


def write_sample(path: Path, count: int) -> None:
    """``count`` topics (every other one with a custom ID), and one bad line."""
    with path.open("wb") as out:
        for n in range(count):
            custom = f"{DEMO_GROUP}@TOPIC#_legacy-{n}" if n % 2 else None
            record = TopicRecord(
                group_id=DEMO_GROUP,
                topic_name=f"Topic {n}",
                topic_id=custom,
                create_time=1448357837 + n,
            )
            out.write(record_line(record))
        out.write(
            b'{"GroupId": "' + DEMO_GROUP.encode() + b'", "TopicName": "' + b"x" * 31 + b'"}\n'
        )


async def demo(workdir: Path) -> int:
    """Import a sample into an emulator, interrupted and resumed; then move the topics."""
    sample, journal = workdir / "topics.jsonl", workdir / "topics.jsonl.journal"
    write_sample(sample, 120)
    async with (
        Emulator(sdkappid=DEMO_APP, secret_key=DEMO_KEY, groups=[DEMO_GROUP]) as old,
        Emulator(sdkappid=DEMO_NEW_APP, secret_key=DEMO_KEY, groups=[DEMO_GROUP]) as new,
        TopicClient(DEMO_APP, "administrator", DEMO_KEY, base_url=old.url) as old_app,
        TopicClient(DEMO_NEW_APP, "administrator", DEMO_KEY, base_url=new.url) as new_app,
    ):
        print(f"1. import {sample.name}, interrupted:")
        await migrate(old_app, sample, journal, stop_after=50)
        print("2. the same command again resumes from the journal:")
        statuses = await migrate(old_app, sample, journal)
        print(f"   the app holds {len(old.topics(DEMO_GROUP))} topics, none twice")

        print("3. move them to another app (export, import, ID map):")
        records = [item.record async for item in old_app.export_topics([DEMO_GROUP]) if item.record]
        id_map = workdir / "ids.tsv"
        with IdMapWriter(id_map) as ids:
            async for outcome in new_app.import_topics(records, journal=workdir / "move.journal"):
                ids.add(outcome)
        print(
            f"   moved {len(new.topics(DEMO_GROUP))} topics; "
            f"{len(read_id_map(id_map))} service-assigned IDs mapped to new ones in {id_map.name}"
        )
    return 0 if statuses["failed"] == 0 and statuses["unknown"] == 0 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description="Import topics from a JSON Lines file.")
    parser.add_argument("file", nargs="?", type=Path, help="the topics, one JSON object a line")
    parser.add_argument("--journal", type=Path, help="default: FILE.journal")
    parser.add_argument("--emulator", action="store_true", help="a demo against emulators")
    args = parser.parse_args()
    if args.emulator:
        with tempfile.TemporaryDirectory() as workdir:
            sys.exit(asyncio.run(demo(Path(workdir))))
    if args.file is None:
        parser.error("give the file to import, or --emulator")
    journal = args.journal or args.file.with_name(args.file.name + ".journal")
    sys.exit(asyncio.run(run(args.file, journal)))


if __name__ == "__main__":
    main()
