"""Entry point of the ``tim-topics`` command: each subcommand lives in its own module and
registers itself through ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .. import __version__
from ..gc_tuning import tune_gc

#: Modules that add subcommands, in the order ``--help`` lists them.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "tim_topics.cli.demo_cmd",
    "tim_topics.cli.import_cmd",
    "tim_topics.cli.export_cmd",
    "tim_topics.cli.call_cmds",
    "tim_topics.cli.emulator_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tim-topics",
        description=(
            "Create, import, read, change, delete, bulk-import and export the topics of "
            "Tencent Cloud Chat communities, at the service's rate limit; or run a local "
            "emulator of the service. Try 'tim-topics demo' (no account needed)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def run() -> int:
    """The ``tim-topics`` console script: :func:`main` in a process of its own, whose
    garbage collector it tunes (:func:`~tim_topics.tune_gc`)."""
    tune_gc()
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
