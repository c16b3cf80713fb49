"""The one handler of Ctrl-C and SIGTERM for the commands that run long (import, export,
demo): a first signal stops the work gracefully (or at once, when it has no graceful
stop), a second abandons it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from typing import Any

import attrs

logger = logging.getLogger("tim_topics.cli")


class Interrupted(Exception):
    """The work was cancelled by Ctrl-C or SIGTERM."""


@attrs.define
class Signals:
    """What arrived while the handler was installed."""

    received: int = 0


@contextlib.contextmanager
def stop_signals(
    work: asyncio.Task[Any], stop: asyncio.Event | None = None, *, stopping: str = ""
) -> Iterator[Signals]:
    """While in the block, Ctrl-C and SIGTERM stop ``work``. With ``stop``, the first one
    sets it (the work stops taking new things and finishes what is in flight) and logs
    ``stopping``; a signal once ``stop`` is set cancels ``work``. Without ``stop``, the
    first cancels it. Where handlers cannot be installed (not the main thread), nothing is.
    """
    loop = asyncio.get_running_loop()
    signals = Signals()

    def on_signal() -> None:
        signals.received += 1
        if stop is not None and not stop.is_set():
            stop.set()
            if stopping:
                logger.warning("%s", stopping)
        else:
            work.cancel()

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass
    try:
        yield signals
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
