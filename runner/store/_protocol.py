"""The interfaces every store implements, for calls and campaigns: SQLite now, a networked store later."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, Self

from runner.store._campaign_types import (
    Campaign,
    CampaignCounts,
    CampaignState,
    CampaignSummary,
    NewRecipient,
    Outcome,
    RecipientState,
)
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


class CampaignStore(Protocol):
    """Where campaigns and their recipients' states live. Every write is durable once it
    returns, and each is one transaction: a process killed at any moment leaves every
    recipient either before or after a step, never between.

    Times are seconds since the epoch, passed in by the caller (``now``) so that a
    dispatcher's clock, frozen in tests, is the only clock.
    """

    def create_campaign(self, campaign: Campaign, recipients: Iterable[NewRecipient]) -> None:
        """Add the campaign and every recipient in one transaction: all of them or none.

        Valid recipients start ``pending``; invalid ones ``invalid`` with that outcome.
        Raises ``CampaignExistsError`` when a campaign has this name already.
        """

    def campaign(self, name: str) -> Campaign | None:
        """The campaign with this name, or None."""

    def campaigns(self) -> list[CampaignSummary]:
        """Every campaign with its counts, oldest first."""

    def campaign_counts(self, name: str) -> CampaignCounts:
        """The campaign's counts by status and outcome. Raises ``CampaignNotFoundError``."""

    def due_recipients(self, name: str, *, now: float, limit: int) -> list[RecipientState]:
        """At most ``limit`` recipients to dial now, by line: ``pending`` ones, and
        ``retry-wait`` ones whose ``next_attempt_at`` is ``now`` or earlier."""

    def mark_dialing(self, name: str, line: int, call_id: str, *, now: float) -> bool:
        """Claim a due recipient for a call about to be placed with ``call_id``: status
        ``dialing``, one more attempt, the call id appended. Call it before placing the call.

        False (and nothing written) when the recipient is not due, or the campaign is not
        running: another worker claimed it, or the campaign was cancelled.
        """

    def record_outcome(
        self,
        name: str,
        line: int,
        call_id: str,
        outcome: Outcome,
        *,
        retry_at: float | None = None,
        answered_by: str | None = None,
        duration: float | None = None,
    ) -> bool:
        """Record how the attempt with ``call_id`` ended: ``done`` with ``outcome``, or
        ``retry-wait`` until ``retry_at`` when given.

        False (and nothing written) unless the recipient is ``dialing`` with ``call_id``
        as its latest call: a late report of an older attempt changes nothing.
        """

    def defer(self, name: str, line: int, *, until: float) -> bool:
        """Make a recipient due outside its calling window wait (status ``waiting``) until
        ``until``, its attempts and last outcome untouched. False when it is not waiting
        to be dialled (claimed, done, invalid)."""
        ...

    def release_claim(self, name: str, line: int, call_id: str, *, now: float) -> bool:
        """Undo ``mark_dialing`` for a call that was never placed: the attempt and its call
        id are taken back and the recipient is due again at ``now``. False (nothing
        written) unless the recipient is dialing with ``call_id`` as its latest call."""
        ...

    def dialing_recipients(self, name: str) -> list[RecipientState]:
        """Recipients left at ``dialing``, by line. After a crash each may have been called:
        the dispatcher looks its last call id up before it decides anything."""

    def set_campaign_state(self, name: str, state: CampaignState, *, now: float) -> None:
        """Change the campaign's state (cancel it, or mark it done). Recipients are left as
        they are. Raises ``CampaignNotFoundError``."""

    def recipients(self, name: str) -> Iterator[RecipientState]:
        """Every recipient of the campaign by line, one at a time (for the report)."""
