"""Slots per remote address: how many requests (or sockets) one address may hold at once."""

from __future__ import annotations


class AddressSlots:
    """At most ``per_address`` slots for each address, and, when given, at most
    ``addresses`` distinct addresses and ``total`` slots in all. The table only holds
    addresses with a slot taken, so it stays as small as the load."""

    def __init__(self, per_address: int, *, addresses: int | None = None, total: int | None = None) -> None:
        self.per_address = per_address
        self.addresses = addresses
        self.total = total
        self._taken: dict[str, int] = {}
        self._in_use = 0

    def enter(self, address: str) -> bool:
        """Take a slot for ``address``; False (and nothing taken) when none is free."""
        count = self._taken.get(address, 0)
        if count >= self.per_address:
            return False
        if count == 0 and self.addresses is not None and len(self._taken) >= self.addresses:
            return False
        if self.total is not None and self._in_use >= self.total:
            return False
        self._taken[address] = count + 1
        self._in_use += 1
        return True

    def leave(self, address: str) -> None:
        """Give back a slot taken with ``enter``."""
        count = self._taken.get(address, 0)
        if count <= 0:
            return
        self._in_use -= 1
        if count == 1:
            del self._taken[address]
        else:
            self._taken[address] = count - 1
