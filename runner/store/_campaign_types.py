"""A campaign's durable state as the store keeps it: the campaign, and one row per recipient.

A recipient moves ``pending -> dialing -> done``, or ``dialing -> retry-wait -> dialing``
for another attempt; one due outside its calling window (quiet hours) waits at
``waiting`` until the window opens. A row that failed the check before any call is
``invalid`` from the start. ``dialing`` is written before the call is placed, so a recipient found at
``dialing`` after a crash means "a call may have been placed": its last call id says which.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal, get_args

CampaignState = Literal["running", "cancelled", "done"]
RecipientStatus = Literal["pending", "waiting", "dialing", "retry-wait", "done", "invalid"]
Outcome = Literal["completed", "voicemail", "busy", "no-answer", "failed", "invalid", "cancelled"]

CAMPAIGN_STATES: tuple[CampaignState, ...] = get_args(CampaignState)
RECIPIENT_STATUSES: tuple[RecipientStatus, ...] = get_args(RecipientStatus)
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)


@dataclasses.dataclass(frozen=True)
class Campaign:
    """One run of a flow over a recipients file, known by its ``name``.

    ``recipients_sha256`` is the hash of the file as first read, so a run resumed under
    the same name can refuse a file that changed since. ``options`` holds what shapes the
    dialing (cps, concurrency, max_attempts, window, region) as JSON-able values.
    ``updated_at`` moves when the campaign's own row changes (its state), not on every call.
    """

    name: str
    flow: str
    flow_path: str
    recipients_path: str
    recipients_sha256: str
    options: Mapping[str, Any]
    state: CampaignState
    created_at: float
    updated_at: float


@dataclasses.dataclass(frozen=True)
class NewRecipient:
    """A row of the recipients file as a campaign starts with it: ``line`` is its line in
    the file (unique within the campaign), ``valid`` False for a row the check refused."""

    line: int
    number: str
    values: Mapping[str, str]
    valid: bool = True
    #: The row's own time zone (its ``timezone`` cell), for the calling window.
    time_zone: str | None = None


@dataclasses.dataclass(frozen=True)
class RecipientState:
    """Where one recipient stands. ``outcome`` is the last attempt's (final once ``done``),
    ``call_ids`` every call placed to them, oldest first."""

    campaign: str
    line: int
    number: str
    values: Mapping[str, str]
    status: RecipientStatus
    attempts: int = 0
    outcome: Outcome | None = None
    next_attempt_at: float | None = None
    call_ids: list[str] = dataclasses.field(default_factory=list)
    answered_by: str | None = None
    duration: float | None = None
    time_zone: str | None = None


@dataclasses.dataclass(frozen=True)
class CampaignCounts:
    """How many recipients stand at each status, and how many ended with each outcome
    (``done`` and ``invalid`` rows only: a retry's last outcome is not an ending).
    ``next_attempt_at`` is the earliest time a retry, or a recipient waiting for its
    calling window, is due; None when none waits."""

    by_status: Mapping[RecipientStatus, int]
    by_outcome: Mapping[Outcome, int]
    next_attempt_at: float | None = None

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclasses.dataclass(frozen=True)
class CampaignSummary:
    """A campaign and its counts, as ``callflow campaign list`` shows them."""

    campaign: Campaign
    counts: CampaignCounts
