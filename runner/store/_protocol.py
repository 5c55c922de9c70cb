"""The interface every call store implements: SQLite now, a networked store later."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, Self

from runner.types import CallRecord


class Store(Protocol):
    """Where call records live. Records are keyed by ``CallRecord.id``.

    Every save is numbered by a cursor that only grows, so a reader can ask for what
    changed since it last looked (``callflow tail --follow``) without comparing records.
    """

    def save(self, record: CallRecord, live: Mapping[str, Any] | None = None) -> None:
        """Insert the record, or replace the one with its id. Durable once it returns.

        ``live`` is the engine's state of a call still in flight (None once it ended):
        what a restarted server needs to carry on with the call.
        """

    def save_many(self, items: Sequence[tuple[CallRecord, Mapping[str, Any] | None]]) -> None:
        """Save each ``(record, live)`` as ``save`` does, all in one transaction: every one
        is durable once it returns, or (when it raises) none is saved."""

    def live(self, call_id: str) -> tuple[CallRecord, dict[str, Any]] | None:
        """The record and live state of a call in flight, or None (unknown or ended)."""

    def in_flight(self) -> list[tuple[CallRecord, dict[str, Any]]]:
        """Every call saved with a live state, oldest save first."""

    def get(self, call_id: str) -> CallRecord | None:
        """The record with this id, or None."""

    def by_carrier_id(self, carrier_call_id: str) -> CallRecord | None:
        """The newest record of the call the carrier names ``carrier_call_id``, or None."""

    def carrier_call_ids(self) -> Iterator[str]:
        """Every carrier call id a record holds, in no particular order."""

    def recent(self, limit: int) -> list[CallRecord]:
        """At most ``limit`` records, newest first by ``created_at``."""

    def cursor(self) -> int:
        """The position of the latest save (0 for an empty store), for ``changed_since``."""

    def changed_since(self, cursor: int) -> tuple[list[CallRecord], int]:
        """Records saved after ``cursor``, oldest save first, and the cursor to pass next.

        A record saved several times since ``cursor`` comes once, as last saved.
        """

    def all(self) -> Iterator[CallRecord]:
        """Every record, oldest first by ``created_at``, one at a time (for export)."""

    def close(self) -> None:
        """Release the store; it is unusable afterwards. Closing twice is harmless."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
