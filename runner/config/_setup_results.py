"""What ``callflow setup``'s checks say: a check passed or failed, or a warning."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SetupCheck:
    id: str
    ok: bool
    message: str


@dataclass(frozen=True)
class SetupWarning:
    """Something that works, but likely not as meant."""

    id: str
    message: str
