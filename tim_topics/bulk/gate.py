"""Keeping a settlement apart from the sends it could confuse.

Settling a record without a topic ID (see :mod:`tim_topics.bulk.settle`) reads the group's
topics and claims one with the record's name. A topic made by *another* record with the same
name whose answer is still on its way would look unclaimed, and could be taken by mistake.
So, per (group, name): many sends may be in flight together, but a settlement waits until
none is, and sends that start meanwhile wait for the settlement (a readers-writer lock with
the writer preferred). Only keys in use are held in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager

import attrs


@attrs.define
class _KeyState:
    condition: asyncio.Condition = attrs.field(factory=asyncio.Condition)
    sending: int = 0
    settling: bool = False
    settlers_waiting: int = 0

    @property
    def idle(self) -> bool:
        return not (self.sending or self.settling or self.settlers_waiting)


class SendGate:
    """A readers-writer lock per key: sends share it, a settlement holds it alone."""

    def __init__(self) -> None:
        self._keys: dict[Hashable, _KeyState] = {}

    def __len__(self) -> int:
        """Keys in use (for tests: it returns to 0 when all is done)."""
        return len(self._keys)

    def _state(self, key: Hashable) -> _KeyState:
        state = self._keys.get(key)
        if state is None:
            state = self._keys[key] = _KeyState()
        return state

    def _release(self, key: Hashable, state: _KeyState) -> None:
        state.condition.notify_all()
        if state.idle:
            self._keys.pop(key, None)

    @asynccontextmanager
    async def sending(self, key: Hashable) -> AsyncIterator[None]:
        """Held while a record of ``key`` is being sent and its answer recorded."""
        state = self._state(key)
        if state.settling or state.settlers_waiting:  # rare: wait for the settlement
            async with state.condition:
                try:
                    await state.condition.wait_for(
                        lambda: not (state.settling or state.settlers_waiting)
                    )
                except BaseException:  # cancelled while waiting: leave no trace
                    self._release(key, state)
                    raise
                state.sending += 1
        else:  # the usual case takes no lock: nothing awaits between check and count
            state.sending += 1
        try:
            yield
        finally:
            state.sending -= 1
            if state.settlers_waiting and not state.sending:
                await asyncio.shield(self._wake(key, state))
            elif state.idle:
                self._keys.pop(key, None)

    @asynccontextmanager
    async def settling(self, key: Hashable) -> AsyncIterator[None]:
        """Held while a record of ``key`` is settled: no send of ``key`` is in flight."""
        state = self._state(key)
        async with state.condition:
            state.settlers_waiting += 1
            try:
                await state.condition.wait_for(lambda: not (state.settling or state.sending))
            except BaseException:  # cancelled while waiting: let the sends go on
                state.settlers_waiting -= 1
                self._release(key, state)
                raise
            state.settlers_waiting -= 1
            state.settling = True
        try:
            yield
        finally:
            state.settling = False
            await asyncio.shield(self._wake(key, state))

    async def _wake(self, key: Hashable, state: _KeyState) -> None:
        """Wake the waiters of ``key`` (shielded by the callers: a cancellation must not
        leave them asleep)."""
        async with state.condition:
            self._release(key, state)
