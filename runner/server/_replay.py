"""Requests already seen: a verified request that comes again is acknowledged, not acted on."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable

#: How long a verified request is remembered. Telnyx refuses timestamps older than
#: 300 s; ten minutes covers that and the carriers' retry windows.
REPLAY_WINDOW_SECONDS = 600.0
#: The most requests remembered; the oldest are forgotten first.
REPLAY_CAPACITY = 100_000


class ReplayCache:
    def __init__(
        self,
        window: float = REPLAY_WINDOW_SECONDS,
        capacity: int = REPLAY_CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.capacity = capacity
        self.clock = clock
        self._seen: OrderedDict[bytes, float] = OrderedDict()

    @staticmethod
    def key(signed: bytes, signature: str) -> bytes:
        """What identifies a request: a hash of what was signed plus the signature or nonce."""
        return hashlib.sha256(signed + b"\x00" + signature.encode("utf-8", "replace")).digest()

    def seen_before(self, key: bytes) -> bool:
        """True when ``key`` was recorded within the window; records it otherwise."""
        now = self.clock()
        self._forget_older_than(now - self.window)
        if key in self._seen:
            return True
        self._seen[key] = now
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return False

    def _forget_older_than(self, oldest: float) -> None:
        while self._seen:
            first_key, first_at = next(iter(self._seen.items()))
            if first_at >= oldest:
                return
            del self._seen[first_key]

    def __len__(self) -> int:
        return len(self._seen)
