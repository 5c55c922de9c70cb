"""The campaigns one server dials: each a ``CampaignRun`` on the server's loop.

A campaign is launched (checked, created or resumed in the store) and dialled here,
whoever asked: the control API, for a program or for ``callflow campaign run``. Stopping
a campaign leaves it resumable; cancelling it is final. When the server stops, every
campaign stops dialing and stays resumable: launching it again carries on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from runner.campaigns._dispatcher import StoreDispatcher
from runner.campaigns._launch import CampaignConflict, CampaignPlan, Launched, create_or_resume
from runner.campaigns._run import CampaignRun, Clock, RunSummary
from runner.campaigns._window import DEFAULT_ZONE
from runner.service import CallService
from runner.store import CampaignStore, CampaignSummary, Outcome

logger = logging.getLogger("callflow.campaigns")


class UnknownCampaignError(Exception):
    """No campaign of that name; the message names the known ones."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"no campaign named '{name}' (known: {', '.join(known) or 'none yet'})")
        self.name = name


class OwnedCampaignStore(CampaignStore, Protocol):
    """A campaign store this desk opened, and closes."""

    def close(self) -> None: ...


class CampaignDesk:
    """Launches, dials, stops and cancels the campaigns of one ``CallService``.

    ``open_store`` opens a connection to the store: one for the loop's thread, opened by
    ``open``, and one for each launch, which writes a campaign's rows in a worker thread
    so a large file does not hold up the webhooks.
    """

    def __init__(
        self,
        service: CallService,
        open_store: Callable[[], OwnedCampaignStore],
        *,
        clock: Clock | None = None,
        default_zone: str = DEFAULT_ZONE,
    ) -> None:
        self.service = service
        #: The zone of recipients neither a timezone cell nor their number places.
        self.default_zone = default_zone
        self.open_store = open_store
        self.clock = clock or Clock()
        self._store: OwnedCampaignStore | None = None
        self._runs: dict[str, tuple[CampaignRun, asyncio.Task[RunSummary]]] = {}
        self._launching: set[str] = set()
        self._last: dict[str, RunSummary] = {}
        #: Told of each call a campaign places and each outcome it reports (final, or a retry).
        self.on_placed: Callable[[str], None] = lambda name: None
        self.on_reported: Callable[[str, Outcome, bool], None] = lambda name, outcome, final: None

    @property
    def store(self) -> OwnedCampaignStore:
        if self._store is None:
            raise RuntimeError("the campaign desk is not open")
        return self._store

    async def open(self) -> None:
        self._store = self.open_store()

    async def close(self) -> None:
        """Stop every campaign's dialing and wait for its run to end (a run waiting for a
        call's end is answered by the service as it shuts down); close the store."""
        for run, _ in self._runs.values():
            run.cancel()
        tasks = [task for _, task in self._runs.values()]
        if tasks:
            await asyncio.wait(tasks)
        if self._store is not None:
            self._store.close()
            self._store = None

    # -- what there is -----------------------------------------------------------------

    def dialing(self) -> list[str]:
        """The campaigns this server is dialing now."""
        return list(self._runs)

    def is_dialing(self, name: str) -> bool:
        return name in self._runs

    def summary(self, name: str) -> RunSummary | None:
        """What the run dialing ``name`` has done so far, or the last run's, if any."""
        if name in self._runs:
            return self._runs[name][0].summary
        return self._last.get(name)

    def campaign(self, name: str) -> CampaignSummary:
        """The campaign and its counts; UnknownCampaignError when there is none."""
        found = self.store.campaign(name)
        if found is None:
            raise UnknownCampaignError(name, self._known())
        return CampaignSummary(found, self.store.campaign_counts(name))

    def campaigns(self) -> list[CampaignSummary]:
        return self.store.campaigns()

    def _known(self) -> list[str]:
        return [summary.campaign.name for summary in self.store.campaigns()]

    # -- launching, stopping, cancelling ----------------------------------------------

    async def launch(self, plan: CampaignPlan) -> Launched:
        """Create or resume the campaign and start dialing it; ``done`` when nothing is
        left to dial. CampaignConflict when it is dialled here already, or may not be
        resumed with this plan."""
        name = plan.name
        if name in self._runs or name in self._launching:
            raise CampaignConflict("dialing", f"campaign {name} is being dialled by this server already")
        self._launching.add(name)
        try:
            launched = await asyncio.to_thread(self._create_or_resume, plan)
        finally:
            self._launching.discard(name)
        if launched != "done":
            self._dial(plan)
        return launched

    def _create_or_resume(self, plan: CampaignPlan) -> Launched:
        # In a worker thread, on a connection of its own (SQLite's belong to their thread).
        store = self.open_store()
        try:
            return create_or_resume(store, plan, now=self.clock.now())
        finally:
            store.close()

    def _dial(self, plan: CampaignPlan) -> None:
        name = plan.name
        run = CampaignRun(
            self.service, StoreDispatcher(self.store, name), plan.flow.name, plan.options, self.clock
        )
        run.on_placed = lambda: self.on_placed(name)
        run.on_reported = lambda outcome, final: self.on_reported(name, outcome, final)
        task = asyncio.create_task(run.run(), name=f"campaign {name}")
        self._runs[name] = (run, task)
        task.add_done_callback(lambda done: self._ended(name, run, done))

    def _ended(self, name: str, run: CampaignRun, task: asyncio.Task[RunSummary]) -> None:
        self._runs.pop(name, None)
        self._last[name] = run.summary
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            logger.error("campaign %s stopped dialing: %s", name, error, exc_info=error)

    def stop(self, name: str) -> bool:
        """Stop dialing ``name``, leaving it resumable; calls in flight finish. False when
        this server is not dialing it."""
        found = self._runs.get(name)
        if found is None:
            return False
        found[0].cancel()
        return True

    def cancel(self, name: str) -> CampaignSummary:
        """Cancel ``name`` for good: no new call; calls in flight finish. CampaignConflict
        when it is done; UnknownCampaignError when there is none."""
        summary = self.campaign(name)
        if summary.campaign.state == "done":
            raise CampaignConflict("done", f"campaign {name} is done: nothing to cancel")
        if summary.campaign.state != "cancelled":
            self.store.set_campaign_state(name, "cancelled", now=self.clock.now())
        self.stop(name)
        return self.campaign(name)
