"""What the long-running commands (import, export, demo) log."""

from __future__ import annotations

import logging


def configure_logging(verbose: bool) -> None:
    """Warnings (bad lines, failures) and progress lines; with ``verbose``, retries and
    settling too."""
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("tim_topics.cli").setLevel(logging.INFO)
    logging.getLogger("tim_topics.bulk").setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("tim_topics.client").setLevel(logging.INFO if verbose else logging.ERROR)
