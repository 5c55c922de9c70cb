"""Answering the carrier: each request to the voice webhook becomes engine events, and
the events' actions the document the carrier fetched.

A request names our call (``call_id`` in the URL the carrier was given) or only the
carrier's id for it (an inbound call, a status callback sent to the bare webhook URL).
A call over already gets the document that says nothing; a copy of a request the call
had gets the answer it had. A request the carrier makes when sent back while the agent
thinks (``event=agent``) waits for the same answer again (see ``_consults``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from runner.dialects import dtmf_then_redirect, reject
from runner.providers import CarrierWebhook, WebhookKind
from runner.service._consults import (
    AGENT_EVENT,
    Settled,
    settle_consults,
    settle_redirect,
    settled_document,
)
from runner.service._desk import CallDesk
from runner.service._errors import UnknownCallError
from runner.service._inbound import answer_inbound
from runner.service._live_calls import LiveCall
from runner.service._streamed import stream_document, uses_stream
from runner.service._translate import events_for
from runner.types import Action, AnyEvent, CallRecord, Direction, SendDigits


@dataclass(frozen=True)
class _Request:
    """One webhook request: what our URL says (``call_id``, ``event``, ``turn``) and what
    the carrier says (``hook``)."""

    call_id: str | None
    event: str
    turn: str | None
    kind: WebhookKind
    hook: CarrierWebhook


class WebhookAnswers:
    """The service's answers to the carrier's requests."""

    def __init__(self, desk: CallDesk) -> None:
        self._desk = desk

    async def answer(self, query: Mapping[str, str], params: Mapping[str, str]) -> str:
        """The document for one carrier request to the voice webhook, once what it
        changed is saved.

        Raises WebhookFormatError (malformed request) and UnknownCallError.
        """
        document = await self._answer(self._read(query, params))
        await self._desk.calls.committed()
        return document

    async def _answer(self, request: _Request) -> str:
        call_id = request.call_id
        if call_id is None:
            # A carrier id starts at most one call: one it named before, in this process or
            # an earlier one, finds that call, in flight or over.
            call_id = self._desk.calls.call_id_for(request.hook.carrier_call_id)
            if call_id is None:
                return await self._new_call(request)
        live = self._find(call_id)
        if isinstance(live, CallRecord):
            handed_over = self._desk.handed_over.pop(call_id, None) if request.event == "resume" else None
            return handed_over or self._after_the_end(live, request.kind)
        if request.event in ("resume", "connected"):
            return self._resume(live)
        if request.event == AGENT_EVENT and request.kind is WebhookKind.ANSWER:
            return await self._agent_redirect(live)
        return await self._turn(live, request)

    def _read(self, query: Mapping[str, str], params: Mapping[str, str]) -> _Request:
        event = query.get("event", "")
        turn = query.get("turn")
        kind = WebhookKind.STATUS if event == "status" else WebhookKind.GATHER if turn else WebhookKind.ANSWER
        hook = self._desk.provider.parse_webhook(params, kind)
        if kind is WebhookKind.ANSWER and hook.status == "ended":
            # A status callback sent to the bare webhook URL (an inbound number's console
            # setting, say): no answer ever says the call is over.
            kind = WebhookKind.STATUS
        return _Request(query.get("call_id"), event, turn, kind, hook)

    async def _new_call(self, request: _Request) -> str:
        """A carrier id no call has had: an inbound call starts, anything else is unknown."""
        if request.kind is WebhookKind.ANSWER and request.hook.inbound:
            return await answer_inbound(self._desk, request.hook)
        raise UnknownCallError(request.hook.carrier_call_id)

    def _find(self, call_id: str) -> LiveCall | CallRecord:
        """The live call, or the record of a call that has ended."""
        try:
            return self._desk.calls.find(call_id)
        except UnknownCallError:
            record = self._desk.calls.stored(call_id)
            if record is None:
                raise
            return record

    def _after_the_end(self, record: CallRecord, kind: WebhookKind) -> str:
        """Over already: a late status callback, or a copy of a request the call had."""
        refused = record.direction is Direction.INBOUND and record.answered_at is None
        if refused and kind is WebhookKind.ANSWER:
            return reject(self._desk.provider.dialect)
        return self._desk.empty_document()

    def _resume(self, live: LiveCall) -> str:
        """What was queued for the carrier's fetch after DTMF or a redirect."""
        if not live.pending:
            # Fetched twice: serving nothing would hang the call up.
            return live.last_document or self._desk.document(live, [])
        queued, live.pending = live.pending, ()
        return self._desk.document(live, list(queued))

    async def _turn(self, live: LiveCall, request: _Request) -> str:
        """Run what the request means on the call, and answer with what came of it."""
        desk, hook = self._desk, request.hook
        if live.carrier_call_id != hook.carrier_call_id:
            # The id the carrier's webhooks use is the one its API takes for this call
            # (Plivo answers place_call with a request id that webhooks never show).
            desk.calls.set_carrier_id(live, hook.carrier_call_id)
        answered = live.call.record.answered_at is not None
        events = events_for(hook, request.kind, request.turn, answered, desk.clock())
        if request.kind is WebhookKind.GATHER and live.heard is not None and not live.heard.done():
            # A continue waits for these words.
            live.heard.set_result(hook.speech or hook.digits or None)
        if _asked_again(live, events, request.kind):
            # The carrier asked again (a retry after a slow answer): the same document.
            return live.last_document or desk.document(live, [])
        actions: list[Action] = []
        for event in events:
            actions.extend(desk.apply(live, event, save=False))
        settled = await settle_consults(desk, live, actions)
        desk.save(live)
        return self._reply(live, request, settled)

    async def _agent_redirect(self, live: LiveCall) -> str:
        """The carrier, sent back while the agent thinks, asks for the turn's answer again."""
        desk = self._desk
        settled = await settle_redirect(desk, live)
        if settled is None:
            # The call waits for no agent any more (a copy of a redirect answered already).
            return live.last_document or desk.document(live, [])
        desk.save(live)
        return settled_document(desk, live, settled)

    def _reply(self, live: LiveCall, request: _Request, settled: Settled) -> str:
        actions = settled.actions
        if request.kind is WebhookKind.STATUS:
            return self._desk.document(live, [])
        if request.kind is WebhookKind.ANSWER and uses_stream(self._desk, live) and not live.call.ended:
            # Digits go as tones on the stream, with everything else.
            return stream_document(self._desk, live, actions)
        if request.kind is WebhookKind.ANSWER and actions and isinstance(actions[0], SendDigits):
            # Digits go first, sent alone: the rest is fetched once they are played.
            live.pending = tuple(actions[1:])
            redirect = self._desk.url(live.call.id, event="connected")
            live.last_document = dtmf_then_redirect(self._desk.provider.dialect, actions[0].digits, redirect)
            return live.last_document
        return settled_document(self._desk, live, settled)


def _asked_again(live: LiveCall, events: list[AnyEvent], kind: WebhookKind) -> bool:
    """The call saw every event of this request already. A status callback is never
    answered as a repeat: it gets the document that says nothing either way."""
    if not events or kind is WebhookKind.STATUS:
        return False
    return all(event.id in live.call.seen_events for event in events)
