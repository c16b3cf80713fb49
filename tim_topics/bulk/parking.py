"""Records waiting to settle hold no send slot.

A record whose answer was lost waits the service's 3 s time-out, and a shared read of its
group, before it is settled (:mod:`tim_topics.bulk.settle`). Counted among the records in
flight, those waits would hide the send latency from :mod:`tim_topics.bulk.pacing` (a few
percent of records lost make the mean latency several times the real one, and its swings
starve the sends or bloat the target). So when a record starts such a wait it is *parked*:
the pacer counts it as finished, its worker leaves the pool of those that take records
(the engine starts another in its place) and stays with the record until its outcome.

At most ``limit`` records are parked at once (what the rate limit needs at the service's
time-out, by default): beyond it, a record waits in its send slot, as before, so memory
stays bounded whatever share of the answers is lost.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from .pacing import InFlightTarget


@attrs.define(eq=False)
class Ticket:
    """One record taken by a worker: when it started, and whether it is parked."""

    started: float
    parked: bool = False


class Parking:
    """Counts the parked records; the engine's workers ask it at each settle wait."""

    def __init__(self, pacing: InFlightTarget, *, limit: int, on_park: Callable[[], None]) -> None:
        self._pacing = pacing
        self._limit = limit
        #: Called when a record is parked: its worker slot is free for another.
        self._on_park = on_park
        self.parked = 0
        """Records parked now."""
        self.total = 0
        """Records parked so far."""

    def take(self) -> Ticket:
        """A worker takes a record: count it in flight."""
        return Ticket(self._pacing.started())

    def park(self, ticket: Ticket) -> None:
        """The record of ``ticket`` starts waiting to settle: free its slot (no-op when it
        is parked already, or when ``limit`` records are)."""
        if ticket.parked or self.parked >= self._limit:
            return
        ticket.parked = True
        self._pacing.finished(ticket.started)
        self.parked += 1
        self.total += 1
        self._pacing.gauges.settling = self.parked
        self._on_park()

    def done(self, ticket: Ticket) -> None:
        """The record of ``ticket`` has its outcome (or was cut short)."""
        if ticket.parked:
            self.parked -= 1
            self._pacing.gauges.settling = self.parked
        else:
            self._pacing.finished(ticket.started)
