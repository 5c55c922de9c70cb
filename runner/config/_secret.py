"""A value that must not be printed by accident: credentials read from the config."""

from __future__ import annotations

import hmac
from typing import final

MASK = "***"


@final
class Secret:
    """Holds a credential so that logging, ``repr`` or an f-string show ``***``.

    The value only comes out through ``reveal()``, which is easy to search for.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        # Constant time, so comparing a guess against a token tells nothing by its speed.
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)
