"""The call service: engines, store and carrier brought together for live calls.

It knows no HTTP. The server hands it each webhook's query and parameters and sends
back the document it returns; the control API calls its operations. Every change to a
call is saved with the call's engine state before the document goes out, so a server
killed mid-call and started again carries on at the call's next webhook. Saves made
in one turn of the event loop share one commit (``GroupCommit``).

``CallService`` is the public face; the work is done by parts that share one
``CallDesk``: ``WebhookAnswers`` (the carrier's requests), ``Dialer`` (placing calls),
``CallControl`` (the control operations) and ``CallTimers`` (max_duration, the reaper).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping

from flows import Flow
from runner.agent import ConsultAgent
from runner.engine import FlowEngine
from runner.providers import Provider
from runner.providers.mock import MockProvider
from runner.service._control import CallControl
from runner.service._desk import CallDesk
from runner.service._dialing import Dialer
from runner.service._live_calls import ConsultAsked
from runner.service._owners import Owners
from runner.service._settings import ServiceSettings
from runner.service._stream_tokens import StreamTokens
from runner.service._streamed import StreamedCall
from runner.service._timers import CallTimers
from runner.service._webhooks import WebhookAnswers
from runner.store import Store
from runner.types import CallRecord

logger = logging.getLogger("callflow.service")


class CallService:
    def __init__(
        self,
        settings: ServiceSettings,
        provider: Provider,
        open_store: Callable[[], Store],
        flows: Iterable[Flow],
        *,
        clock: Callable[[], float] = time.time,
        owners: Owners | None = None,
        agent: ConsultAgent | None = None,
    ) -> None:
        self._desk = desk = CallDesk(
            settings, provider, open_store, flows, clock=clock, owners=owners, agent=agent
        )
        self._webhooks = WebhookAnswers(desk)
        self._dialer = Dialer(desk)
        self._control = CallControl(desk)
        self._timers = CallTimers(desk)
        desk.on_deadline = self._timers.deadline_passed

    # -- what the service runs with --------------------------------------------------

    @property
    def settings(self) -> ServiceSettings:
        return self._desk.settings

    @property
    def provider(self) -> Provider:
        return self._desk.provider

    @property
    def engines(self) -> dict[str, FlowEngine]:
        return self._desk.engines

    @property
    def clock(self) -> Callable[[], float]:
        return self._desk.clock

    @property
    def store(self) -> Store:
        return self._desk.store

    @property
    def stream_tokens(self) -> StreamTokens:
        """One-time tokens for media streams, minted into the documents that open them."""
        return self._desk.stream_tokens

    # Told of every call that starts and ends in this process (the server's metrics),
    # and of every call an earlier process started that this one brought back.

    @property
    def on_start(self) -> Callable[[CallRecord], None]:
        return self._desk.on_start

    @on_start.setter
    def on_start(self, hook: Callable[[CallRecord], None]) -> None:
        self._desk.on_start = hook

    @property
    def on_end(self) -> Callable[[CallRecord], None]:
        return self._desk.on_end

    @on_end.setter
    def on_end(self, hook: Callable[[CallRecord], None]) -> None:
        self._desk.on_end = hook

    @property
    def on_restore(self) -> Callable[[CallRecord], None]:
        return self._desk.on_restore

    @on_restore.setter
    def on_restore(self, hook: Callable[[CallRecord], None]) -> None:
        self._desk.on_restore = hook

    @property
    def on_agent_redirect(self) -> Callable[[], None]:
        """Told each time a carrier is sent back to wait for a consult step's answer."""
        return self._desk.on_agent_redirect

    @on_agent_redirect.setter
    def on_agent_redirect(self, hook: Callable[[], None]) -> None:
        self._desk.on_agent_redirect = hook

    def streamed_call(self, call_id: str) -> StreamedCall:
        """The call a media stream was opened for, in flight here. Raises UnknownCallError."""
        return StreamedCall(self._desk, self._desk.calls.find(call_id))

    # -- lifecycle of the service --------------------------------------------------

    async def start(self) -> None:
        """Open the store and reconcile the calls in flight that no process runs (see
        ``LiveCalls.reconcile``): carry on those whose flow is loaded, re-arming their
        timers; end the others as ``error``, saying why, and hang them up at the carrier."""
        desk = self._desk
        desk.open_store()
        if desk.owners is not None:
            desk.owners.join()
        for record in desk.calls.reconcile(desk.clock(), self._cannot_go_on):
            logger.warning("call %s ended: %s", record.id, record.error)
            await desk.ended_here(record)
        self._timers.start_reaping()

    def refuse_waits(self) -> None:
        """The server is stopping: every request waiting on a call (its end, the caller's
        words, the agent's reply) is answered now with ShuttingDownError, not cut off."""
        self._desk.refuse_waits()

    async def stop(self) -> None:
        desk = self._desk
        self._timers.stop_reaping()
        await desk.provider.aclose()
        if desk.agent is not None:
            await desk.agent.aclose()
        desk.deadlines.close()
        desk.cancel_waits()
        desk.close_store()
        if desk.owners is not None:
            # Only once every call is saved: until then no other process may take them.
            desk.owners.leave()

    def _cannot_go_on(self, record: CallRecord) -> str | None:
        """Why a call left in flight by a process that stopped cannot go on here, if it cannot."""
        if record.flow not in self._desk.engines:
            return f"this server started without its flow '{record.flow}', so it could not carry the call on"
        if record.provider == MockProvider.name:
            return "the mock carrier ran in that process, and the call ended with it"
        return None

    # -- calls -------------------------------------------------------------------------

    @property
    def calls_in_flight(self) -> int:
        return self._desk.calls_in_flight

    def calls_by_state(self) -> dict[str, int]:
        """How many calls in flight are in each lifecycle state (for /metrics)."""
        counts: dict[str, int] = {}
        for live in self._desk.calls:
            counts[live.call.lifecycle] = counts.get(live.call.lifecycle, 0) + 1
        return counts

    def new_call_id(self) -> str:
        """A fresh call id, for ``place_call``: to know a call's id before it is dialled."""
        return self._desk.new_call_id()

    async def place_call(
        self,
        flow_name: str,
        variables: Mapping[str, str],
        *,
        to: str | None = None,
        call_id: str | None = None,
    ) -> CallRecord:
        """Dial a call of ``flow_name``; its record, in state initiated (see ``Dialer``)."""
        return await self._dialer.place_call(flow_name, variables, to=to, call_id=call_id)

    async def webhook(self, query: Mapping[str, str], params: Mapping[str, str]) -> str:
        """The document for one carrier request to the voice webhook, once what it
        changed is saved.

        Raises WebhookFormatError (malformed request) and UnknownCallError.
        """
        return await self._webhooks.answer(query, params)

    async def speak(self, call_id: str, text: str) -> None:
        """Say ``text`` into the call now; in a consult step, it is the agent's reply."""
        await self._control.speak(call_id, text)

    async def continue_call(self, call_id: str, text: str, timeout: float) -> str | None:
        """Say ``text`` as the agent's turn and return what the caller says next (or None)."""
        return await self._control.continue_call(call_id, text, timeout)

    async def send_digits(self, call_id: str, digits: str) -> None:
        await self._control.send_digits(call_id, digits)

    async def end_call(self, call_id: str) -> CallRecord:
        """End the call (reason ``hangup-bot``) and hang it up at the carrier (see ``CallControl``)."""
        return await self._control.end_call(call_id)

    def waiting_for(self, call_id: str) -> str | None:
        """ "agent", "caller" or None: who the call waits for (see ``CallControl``)."""
        return self._control.waiting_for(call_id)

    def consult_asked(self, call_id: str) -> ConsultAsked | None:
        """What the call's waiting consult step asks (see ``CallControl``), or None."""
        return self._control.consult_asked(call_id)

    def record(self, call_id: str) -> CallRecord:
        return self._control.record(call_id)

    async def wait_ended(self, call_id: str, timeout: float) -> CallRecord:
        """The record once the call has ended, or as it is when ``timeout`` passes."""
        return await self._control.wait_ended(call_id, timeout)

    async def reap_stale_calls(self) -> list[str]:
        """End every call that has heard nothing for too long; their ids (see ``CallTimers``)."""
        return await self._timers.reap_stale_calls()
