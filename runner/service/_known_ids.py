"""Which carrier call ids the store may know, answered from memory.

The first webhook of every new inbound call asks whether its carrier call id already
had a call (a replay after a restart or after the replay window must not start a
second one). Asking the store costs a read transaction, several times what the rest of
the check does; almost every id is new. A Bloom filter of every id in the store answers
"certainly new" from memory, and only a "maybe" (an id seen before, or about one in a
hundred new ones) goes on to the store. It is built from the store when first asked and
grows with each id added; past its capacity it is built again, twice as large.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable

#: The share of new ids the filter wrongly calls "maybe", at its capacity.
FALSE_MAYBE_RATE = 0.01
MIN_CAPACITY = 100_000


class KnownIds:
    """A Bloom filter of carrier call ids; ``all_ids`` lists every id known now (the
    store's, and those of calls in memory not yet saved)."""

    def __init__(self, all_ids: Callable[[], Iterable[str]]) -> None:
        self._all_ids = all_ids
        self._count = 0
        self._capacity = 0
        self._bits = bytearray()
        self._size = 0
        self._hashes = 0

    def load(self) -> None:
        """Build the filter from the store: every id it holds, and room for as many again."""
        ids = list(self._all_ids())
        self._build(max(MIN_CAPACITY, 2 * len(ids)))
        for carrier_call_id in ids:
            self.add(carrier_call_id)

    def add(self, carrier_call_id: str) -> None:
        if self._count >= self._capacity:
            # Not built yet, or full: past its capacity a filter says "maybe" too often.
            self.load()
        for position in self._positions(carrier_call_id):
            self._bits[position >> 3] |= 1 << (position & 7)
        self._count += 1

    def may_know(self, carrier_call_id: str) -> bool:
        """False when the id was never added; True when it was, and now and then when not."""
        if not self._capacity:
            self.load()
        bits = self._bits
        positions = self._positions(carrier_call_id)
        return all(bits[position >> 3] & (1 << (position & 7)) for position in positions)

    def _build(self, capacity: int) -> None:
        # The textbook sizes: m = -n ln p / (ln 2)^2 bits and k = m/n ln 2 hashes.
        size = math.ceil(-capacity * math.log(FALSE_MAYBE_RATE) / math.log(2) ** 2)
        self._size = size
        self._hashes = max(1, round(size / capacity * math.log(2)))
        self._bits = bytearray((size + 7) // 8)
        self._capacity = capacity
        self._count = 0

    def _positions(self, carrier_call_id: str) -> list[int]:
        digest = hashlib.blake2b(carrier_call_id.encode(), digest_size=16).digest()
        first, second = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little") | 1
        return [(first + index * second) % self._size for index in range(self._hashes)]
