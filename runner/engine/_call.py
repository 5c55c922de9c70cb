"""One call: the model that the lifecycle and step machines move, and its record."""

from __future__ import annotations

from typing import Any

from runner.types import CallRecord, Turn


class Call:
    """A call in flight. The machines own ``lifecycle`` and ``step``; the rest is the
    engine's: the template variables, the turn being waited on, and the record."""

    __slots__ = (
        "__weakref__",
        "awaiting_agent",
        "consult_turns",
        "context",
        "last_event_at",
        "lifecycle",
        "record",
        "retries_used",
        "seen_events",
        "step",
        "turn",
        "turn_token",
    )

    def __init__(self, record: CallRecord, context: dict[str, Any]) -> None:
        self.record = record
        #: What templates see: inputs, set variables, call, last, consult.
        self.context = context
        self.lifecycle: str = record.lifecycle
        self.step: str | None = None
        self.retries_used = 0
        self.consult_turns = 0
        self.awaiting_agent = False
        self.turn: Turn | None = None
        self.turn_token: str | None = None
        #: Ids of the events handled, oldest first (a dict keeps their order).
        self.seen_events: dict[str, None] = {}
        #: When the call last heard anything (an event applied to it): the stale-call reaper's clock.
        self.last_event_at = record.created_at

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def ended(self) -> bool:
        return self.record.end_reason is not None

    def synced_record(self) -> CallRecord:
        """The call's own record (not a copy) with the machines' current states written in."""
        self.record.lifecycle = self.lifecycle
        self.record.step = self.step
        return self.record
