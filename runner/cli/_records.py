"""How the commands that read call records show times."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(seconds: float) -> str:
    """``2026-11-25T15:04:41Z``: a record's time, to the second, in UTC."""
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
