"""The control operations on a call in flight: speak, continue, send digits, end, and
the questions asked of a call (its record, what it waits for, its end)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets

from runner.service._desk import CallDesk
from runner.service._errors import CallNotLiveError, ShuttingDownError, UnknownCallError
from runner.service._live_calls import ConsultAsked, LiveCall
from runner.types import AnyEvent, CallEnded, CallRecord, ControlDigits, ControlEnd, ControlSpeak, EndReason


class CallControl:
    """Steers calls from outside the carrier (the control API, an agent)."""

    def __init__(self, desk: CallDesk) -> None:
        self._desk = desk

    async def speak(self, call_id: str, text: str) -> None:
        """Say ``text`` into the call now; in a consult step, it is the agent's reply."""
        live = self._answered(call_id)
        if live.agent_reply is not None and not live.agent_reply.done():
            live.agent_reply.set_result(text)
            return
        desk = self._desk
        await self._steer(live, ControlSpeak(id=desk.event_id(), at=desk.clock(), text=text))

    async def continue_call(self, call_id: str, text: str, timeout: float) -> str | None:
        """Say ``text`` as the agent's turn and return what the caller says next.

        None when the caller said nothing before the call moved on, ended, or
        ``timeout`` passed.
        """
        live = self._answered(call_id)
        loop = asyncio.get_running_loop()
        live.heard = loop.create_future()
        try:
            await self.speak(call_id, text)
            return await asyncio.wait_for(asyncio.shield(live.heard), timeout)
        except TimeoutError:
            return None
        finally:
            live.heard = None

    async def send_digits(self, call_id: str, digits: str) -> None:
        live = self._answered(call_id)
        desk = self._desk
        await self._steer(live, ControlDigits(id=desk.event_id(), at=desk.clock(), digits=digits))

    async def end_call(self, call_id: str) -> CallRecord:
        """End the call (reason ``hangup-bot``) and hang it up at the carrier, whatever
        flows are loaded; a call already over is returned as it is.

        Raises UnknownCallError, CallNotLiveError (another live process runs it) and the
        provider's errors.
        """
        desk = self._desk
        try:
            live = desk.calls.claim(call_id)
        except UnknownCallError:
            return self.record(call_id)  # already over: ending it again changes nothing
        if isinstance(live, CallRecord):
            # Its flow is not loaded here: no engine runs its end, but the record and the
            # carrier need none.
            record = desk.calls.end_unrunnable(live, EndReason.HANGUP_BOT, desk.clock())
            await desk.ended_here(record, quietly=False)
            return record
        if live.call.record.answered_at is None:
            desk.apply(live, CallEnded(id=desk.event_id(), at=desk.clock(), reason=EndReason.HANGUP_BOT))
        else:
            desk.apply(live, ControlEnd(id=desk.event_id(), at=desk.clock()))
        await desk.calls.committed()
        if live.carrier_call_id is not None:
            await desk.provider.hang_up(live.carrier_call_id)
        return live.call.synced_record()

    def record(self, call_id: str) -> CallRecord:
        """The call's record: in flight here, or in the store. Raises UnknownCallError."""
        live = self._desk.calls.get(call_id)
        if live is not None:
            return live.call.synced_record()
        record = self._desk.calls.stored(call_id)
        if record is None:
            raise UnknownCallError(call_id)
        return record

    def waiting_for(self, call_id: str) -> str | None:
        """ "agent" while a consult step waits for the agent's reply, "caller" while a turn
        waits for the caller, None otherwise (or for a call not in flight here)."""
        live = self._desk.calls.get(call_id)
        if live is None or live.call.ended:
            return None
        if live.agent_reply is not None and not live.agent_reply.done():
            return "agent"
        return "caller" if live.call.turn is not None else None

    def consult_asked(self, call_id: str) -> ConsultAsked | None:
        """What a consult step waiting for a reply from outside asks; None when no consult
        of this call waits here (or an agent is asked instead)."""
        live = self._desk.calls.get(call_id)
        return None if live is None or live.call.ended else live.consult

    async def wait_ended(self, call_id: str, timeout: float) -> CallRecord:
        """The record once the call has ended, or as it is when ``timeout`` passes."""
        live = self._desk.calls.get(call_id)
        if live is not None:
            if live.ended is None:
                live.ended = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(live.ended.wait(), timeout)
            if self._desk.stopping and not live.call.ended:
                raise ShuttingDownError
        return self.record(call_id)

    async def _steer(self, live: LiveCall, event: AnyEvent) -> None:
        """Apply a control event and have the carrier fetch what it produced."""
        desk = self._desk
        actions = desk.apply(live, event)
        if not actions:
            raise CallNotLiveError(live.call.id, "it is not connected")
        if live.media is not None:
            # The call's audio is streamed: its media session says and does it.
            live.media.perform(actions)
            await desk.calls.committed()
            return
        live.pending = tuple(actions)
        await desk.calls.committed()
        if live.carrier_call_id is None:
            # Only an answered call is steered, and the carrier's answer webhook set its id.
            raise RuntimeError(f"call {live.call.id} is answered but has no carrier call id")
        # A fresh reference in every resume URL: two redirects never look like one replayed.
        resume = desk.url(live.call.id, event="resume", ref=secrets.token_urlsafe(6))
        await desk.provider.redirect(live.carrier_call_id, resume)

    def _answered(self, call_id: str) -> LiveCall:
        """The call in flight, answered, that this process runs; CallNotLiveError saying
        why not, or UnknownCallError."""
        calls = self._desk.calls
        try:
            live = calls.claim(call_id)
        except UnknownCallError:
            record = calls.stored(call_id)
            if record is None:
                raise
            raise CallNotLiveError(call_id, f"it has ended ({record.end_reason})") from None
        if isinstance(live, CallRecord):
            raise CallNotLiveError(
                call_id, f"its flow '{live.flow}' is not loaded in this server ('callflow end' ends it)"
            )
        if live.call.ended:
            raise CallNotLiveError(call_id, f"it has ended ({live.call.record.end_reason})")
        if live.call.record.answered_at is None:
            raise CallNotLiveError(call_id, "it has not been answered yet")
        return live
