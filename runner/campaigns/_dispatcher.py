"""Who hands out the recipients to dial: the ``Dispatcher`` interface, and one over the store.

``CampaignRun`` talks only to this interface, so that spreading a campaign over several
workers (a job queue with a shared store) replaces ``StoreDispatcher`` and nothing else.
A recipient is claimed for a call id before the call is placed: whoever claims it places
its call, and a claim written before a crash says which call may have been placed.
"""

from __future__ import annotations

from typing import Protocol

from runner.store import CampaignStore, Outcome, RecipientState


class Dispatcher(Protocol):
    """The recipients of one campaign, handed out to whoever dials them."""

    async def due(self, now: float, limit: int) -> list[RecipientState]:
        """Up to ``limit`` recipients to dial now: never dialled yet, or a retry come due."""
        ...

    async def claim(self, line: int, call_id: str, now: float) -> bool:
        """Take the recipient for the call ``call_id``, counting one more attempt.

        False when it is no longer due (another worker took it) or the campaign stopped.
        """
        ...

    async def release(self, line: int, call_id: str, now: float) -> bool:
        """Give back a claim whose call was never placed: the attempt is not counted and
        the recipient is due again at ``now``. False when the claim is not this call's."""
        ...

    async def report(
        self,
        line: int,
        call_id: str,
        outcome: Outcome,
        *,
        retry_at: float | None = None,
        answered_by: str | None = None,
        duration: float | None = None,
    ) -> bool:
        """What the call ``call_id`` came to: final, or another attempt due at ``retry_at``.

        False when the recipient's last claim was not for this call (nothing is written).
        """
        ...

    async def unsettled(self) -> list[RecipientState]:
        """Recipients claimed and never reported: a call may have been placed to each,
        the last of their ``call_ids``."""
        ...

    async def defer(self, line: int, until: float) -> bool:
        """Make a recipient due outside its calling window wait until ``until`` (no
        attempt counted). False when it is no longer waiting to be dialled."""
        ...

    async def next_due_at(self) -> float | None:
        """When the earliest retry or recipient waiting for its window comes due; None
        when none waits."""
        ...

    async def is_running(self) -> bool:
        """Whether the campaign still takes calls (it was not cancelled or finished)."""
        ...

    async def finish(self, now: float) -> None:
        """Mark the campaign done: every recipient has its final outcome."""
        ...


class StoreDispatcher:
    """The ``Dispatcher`` of one campaign in a ``CampaignStore``, for one worker or several
    sharing the store (a claim is one conditional write, so two never take one recipient)."""

    def __init__(self, store: CampaignStore, campaign: str) -> None:
        self.store = store
        self.campaign = campaign

    async def due(self, now: float, limit: int) -> list[RecipientState]:
        return self.store.due_recipients(self.campaign, now=now, limit=limit)

    async def claim(self, line: int, call_id: str, now: float) -> bool:
        return self.store.mark_dialing(self.campaign, line, call_id, now=now)

    async def release(self, line: int, call_id: str, now: float) -> bool:
        return self.store.release_claim(self.campaign, line, call_id, now=now)

    async def report(
        self,
        line: int,
        call_id: str,
        outcome: Outcome,
        *,
        retry_at: float | None = None,
        answered_by: str | None = None,
        duration: float | None = None,
    ) -> bool:
        return self.store.record_outcome(
            self.campaign,
            line,
            call_id,
            outcome,
            retry_at=retry_at,
            answered_by=answered_by,
            duration=duration,
        )

    async def unsettled(self) -> list[RecipientState]:
        return self.store.dialing_recipients(self.campaign)

    async def defer(self, line: int, until: float) -> bool:
        return self.store.defer(self.campaign, line, until=until)

    async def next_due_at(self) -> float | None:
        return self.store.campaign_counts(self.campaign).next_attempt_at

    async def is_running(self) -> bool:
        campaign = self.store.campaign(self.campaign)
        return campaign is not None and campaign.state == "running"

    async def finish(self, now: float) -> None:
        self.store.set_campaign_state(self.campaign, "done", now=now)
