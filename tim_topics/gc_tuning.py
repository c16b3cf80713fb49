"""The garbage collector of a process whose job is calls (a bulk import, a worker, a bot).

With thousands of calls in flight, each allocating a few dozen objects that live for its
latency, Python's collector runs hundreds of times a second: on the project's machine it took
an eighth of the client's CPU and paused the event loop for up to 0.15 s at a time (requests
then leave late, and together). Freezing what exists after start-up (it is never scanned
again) and collecting young objects far less often removes almost all of that: nearly all of
a call's garbage is freed by reference counting anyway, without the collector.

A library must not change its host's collector, so :class:`~tim_topics.TopicClient` never
calls this; the ``tim-topics`` command does, for its own process, and an app may, at its
start (see "Performance" in the limits guide).
"""

from __future__ import annotations

import gc
from typing import Final

#: The first generation's threshold this sets (Python's own is 700, 2,000 from 3.13).
GC_FIRST_THRESHOLD: Final = 50_000


def tune_gc() -> None:
    """Freeze the objects that exist now and collect young ones only every
    :data:`GC_FIRST_THRESHOLD` allocations. Call it once, after start-up (imports, config),
    in a process whose job is calls; ``gc.unfreeze()`` and ``gc.set_threshold()`` undo it."""
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(GC_FIRST_THRESHOLD, second, third)
