"""Every call's deadline (max_duration) behind one event-loop timer.

A timer per call is six objects (the handle, its context, a closure and its cells)
that the garbage collector walks on every full collection, as long as the call is in
flight: with thousands of calls in flight, collections grow into pauses of a tenth
of a second. Here a deadline is a call id in a set of ids due in the same slot of
``resolution`` seconds, and one timer waits for the earliest slot.
"""

from __future__ import annotations

import asyncio
import heapq
import math
from collections.abc import Callable

#: Deadlines are met within this many seconds (late, never early).
RESOLUTION_SECONDS = 0.1


class Deadlines:
    def __init__(
        self,
        on_due: Callable[[str], None],
        clock: Callable[[], float],
        resolution: float = RESOLUTION_SECONDS,
    ) -> None:
        self._on_due = on_due
        self._clock = clock
        self._resolution = resolution
        self._due: dict[int, set[str]] = {}
        self._slot_of: dict[str, int] = {}
        #: The slots in ``_due``, earliest first; a slot emptied by ``cancel`` stays here
        #: until its time comes (popping it from the middle would cost more than waiting).
        self._slots: list[int] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_slot: int | None = None

    def __len__(self) -> int:
        return len(self._slot_of)

    def set(self, key: str, when: float) -> None:
        """Call ``on_due(key)`` at ``when`` (the clock's time), in place of any earlier setting."""
        self.cancel(key)
        slot = math.ceil(when / self._resolution)
        keys = self._due.get(slot)
        if keys is None:
            keys = self._due[slot] = set()
            heapq.heappush(self._slots, slot)
        keys.add(key)
        self._slot_of[key] = slot
        self._arm()

    def cancel(self, key: str) -> None:
        slot = self._slot_of.pop(key, None)
        if slot is None:
            return
        keys = self._due[slot]
        keys.discard(key)
        if not keys:
            del self._due[slot]

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._timer_slot = None
        self._due.clear()
        self._slot_of.clear()
        self._slots.clear()

    def _arm(self) -> None:
        """Have the timer wait for the earliest slot (no change when it already does)."""
        if not self._slots:
            return
        first = self._slots[0]
        if self._timer_slot == first:
            return
        if self._timer is not None:
            self._timer.cancel()
        delay = max(0.0, first * self._resolution - self._clock())
        self._timer = asyncio.get_running_loop().call_later(delay, self._fire)
        self._timer_slot = first

    def _fire(self) -> None:
        self._timer = self._timer_slot = None
        # The loop's timer and the clock may disagree by a hair: never spin on that.
        now_slot = math.floor(self._clock() / self._resolution + 1e-6)
        while self._slots and self._slots[0] <= now_slot:
            for key in sorted(self._due.pop(heapq.heappop(self._slots), ())):
                del self._slot_of[key]
                self._on_due(key)
        self._arm()
