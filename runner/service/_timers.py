"""The call service's clock-driven part: each call's max_duration, and the reaper of
calls the carrier stopped telling us about."""

from __future__ import annotations

import asyncio

from runner.service._desk import CallDesk
from runner.service._live_calls import LiveCall
from runner.types import CallEnded, EndReason, Timer


class CallTimers:
    """Ends calls when time says so: their max_duration passed (``deadline_passed``, told
    by the desk), or nothing was heard of them for too long (``reap_stale_calls``)."""

    def __init__(self, desk: CallDesk) -> None:
        self._desk = desk
        self._timeouts: set[asyncio.Future[None]] = set()
        self._reaper: asyncio.Task[None] | None = None

    def start_reaping(self) -> None:
        """Look for stale calls every reaper_interval_seconds, when the settings ask for it."""
        if self._desk.settings.stale_call_reaper_seconds > 0:
            self._reaper = asyncio.create_task(self._reap_forever())

    def stop_reaping(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()

    def deadline_passed(self, live: LiveCall) -> None:
        task = asyncio.ensure_future(self._time_out(live))
        # The loop keeps only a weak reference to a task: hold it until it is done.
        self._timeouts.add(task)
        task.add_done_callback(self._timeouts.discard)

    async def reap_stale_calls(self) -> list[str]:
        """End every call that has heard nothing (no webhook, no event) for too long; their ids.

        A call never answered ends as failed (the carrier could not place it); one that
        was answered ends with reason error (the carrier stopped telling us about it).
        """
        desk = self._desk
        limit = desk.settings.stale_call_reaper_seconds
        reaped = []
        for live in desk.calls:
            call = live.call
            if call.ended or desk.clock() - call.last_event_at < limit:
                continue
            if call.record.answered_at is None:
                call.record.error = f"no answer and no end from the carrier within {limit} s"
                reason = EndReason.FAILED
            else:
                call.record.error = f"no webhook from the carrier within {limit} s"
                reason = EndReason.ERROR
            desk.apply(live, CallEnded(id=desk.event_id(), at=desk.clock(), reason=reason))
            if live.carrier_call_id is not None:
                await desk.hang_up_quietly(live.carrier_call_id)
            reaped.append(call.id)
        return reaped

    async def _time_out(self, live: LiveCall) -> None:
        if live.call.ended:
            return
        desk = self._desk
        desk.apply(live, Timer(id=desk.event_id(), at=desk.clock(), kind="max_duration"))
        if live.carrier_call_id is not None:
            await desk.hang_up_quietly(live.carrier_call_id)

    async def _reap_forever(self) -> None:
        while True:
            await asyncio.sleep(self._desk.settings.reaper_interval_seconds)
            await self.reap_stale_calls()
