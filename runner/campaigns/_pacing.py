"""The pace of a campaign: at most ``cps`` calls started in any one-second window.

A sliding window of the last start times, not a sleep of ``1/cps`` between calls: a
campaign may start ``cps`` calls at once and then wait, which is what the carriers'
limit allows, and a slow call never delays the next start more than the limit asks.
"""

from __future__ import annotations

from collections import deque

#: The window the carriers count calls per second in.
WINDOW_SECONDS = 1.0


class Pace:
    """Start times of the last calls, and how many more may start now.

    Starts at ``t`` and ``t + 1`` are in different windows: every window ``[t, t + 1)``
    holds at most ``cps`` of them. ``cps`` None means no limit.
    """

    def __init__(self, cps: int | None) -> None:
        if cps is not None and cps < 1:
            raise ValueError(f"cps must be 1 or more, not {cps}")
        self.cps = cps
        self._starts: deque[float] = deque()

    def room(self, now: float) -> int | None:
        """How many calls may start at ``now``; None for no limit."""
        if self.cps is None:
            return None
        self._forget_before(now)
        return self.cps - len(self._starts)

    def next_start_at(self, now: float) -> float:
        """The earliest time a call may start: ``now`` when there is room."""
        room = self.room(now)
        if room is None or room > 0:
            return now
        return self._starts[0] + WINDOW_SECONDS

    def started(self, at: float) -> None:
        if self.cps is not None:
            self._starts.append(at)

    def _forget_before(self, now: float) -> None:
        while self._starts and self._starts[0] <= now - WINDOW_SECONDS:
            self._starts.popleft()
