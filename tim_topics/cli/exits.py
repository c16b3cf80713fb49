"""Exit statuses of the ``tim-topics`` commands, and the one way they print an error.

| status | meaning |
|---|---|
| 0 | done: every record (topic, call) went through |
| 1 | some failed (refused by the service, bad lines, groups that could not be read) |
| 2 | bad arguments, environment, input file or journal |
| 3 | ``import``: some records were sent and their outcome is still unknown |
| 4 | ``import``: the service (or the shared Redis) stayed unreachable past --outage-limit |
| 130 | stopped by Ctrl-C or SIGTERM |
"""

from __future__ import annotations

import sys
from typing import Final

EXIT_OK: Final = 0
#: Some records (or calls, or groups) failed: refused by the service, or bad input lines.
EXIT_FAILURES: Final = 1
EXIT_USAGE: Final = 2
#: Some records were sent and their outcome is still unknown: run the same command again.
EXIT_UNKNOWN: Final = 3
#: The service (or the shared limiter) stayed unreachable past --outage-limit.
EXIT_OUTAGE: Final = 4
EXIT_INTERRUPTED: Final = 130


def say(command: str, message: object) -> None:
    """``tim-topics COMMAND: MESSAGE`` on stderr."""
    print(f"tim-topics {command}: {message}", file=sys.stderr)


def fail(command: str, message: object, code: int = EXIT_USAGE) -> int:
    """Print ``tim-topics COMMAND: error: MESSAGE`` on stderr and return ``code``."""
    say(command, f"error: {message}")
    return code
