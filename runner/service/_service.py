"""The call service: engines, store and carrier brought together for live calls.

It knows no HTTP. The server hands it each webhook's query and parameters and sends
back the document it returns; the control API calls its operations. Every change to a
call is saved with the call's engine state before the document goes out, so a server
killed mid-call and started again carries on at the call's next webhook. Saves made
in one turn of the event loop share one commit (``GroupCommit``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from urllib.parse import urlencode

from flows import Data, Flow, e164_problem
from flows._compile import Text
from runner.dialects import DialectError, dtmf_then_redirect, reject, render
from runner.engine import FlowEngine, InputError, bind_inputs
from runner.providers._base import CarrierWebhook, OutboundCall, Provider, WebhookKind
from runner.providers.mock import MockProvider
from runner.script import ScriptError, parse_input
from runner.service._deadlines import Deadlines
from runner.service._errors import (
    CallNotLiveError,
    ShuttingDownError,
    TooManyCallsError,
    UnknownCallError,
    UnknownFlowError,
)
from runner.service._inbound import refused_record
from runner.service._live_calls import LiveCall, LiveCalls
from runner.service._owners import Owners
from runner.service._settings import ServiceSettings
from runner.service._stream_tokens import StreamTokens
from runner.service._translate import answer_id, events_for
from runner.store import Store
from runner.types import (
    Action,
    AgentReply,
    Answered,
    AnyEvent,
    CallEnded,
    CallRecord,
    Consult,
    ControlDigits,
    ControlEnd,
    ControlSpeak,
    Direction,
    EndReason,
    Hangup,
    SendDigits,
    Timer,
)

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
    ) -> None:
        self.settings = settings
        self.provider = provider
        # Opened by start(), on the thread that runs the service: SQLite connections
        # belong to the thread that made them.
        self._open_store = open_store
        self._store: Store | None = None
        self._deadlines = Deadlines(self._deadline_passed, clock)
        self._timeouts: set[asyncio.Future[None]] = set()
        self.engines = {flow.name: FlowEngine(flow) for flow in flows}
        self.clock = clock
        #: The processes that share the store; None when no other process uses it.
        self._owners = owners
        self._calls = LiveCalls(self.engines, lambda: self.store, self._restored, self._leave, owners)
        self._ids = itertools.count(1)
        self._reaper: asyncio.Task[None] | None = None
        self._empty: str | None = None
        #: Set by refuse_waits: the server is stopping.
        self._stopping = False
        #: One-time tokens for media streams, minted into the documents that open them.
        self.stream_tokens = StreamTokens()
        #: Told of every call that starts and ends in this process (the server's metrics),
        #: and of every call an earlier process started that this one brought back.
        self.on_start: Callable[[CallRecord], None] = _ignore
        self.on_end: Callable[[CallRecord], None] = _ignore
        self.on_restore: Callable[[CallRecord], None] = _ignore

    # -- lifecycle of the service --------------------------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the call service has not been started")
        return self._store

    async def start(self) -> None:
        """Open the store and reconcile the calls in flight that no process runs (see
        ``LiveCalls.reconcile``): carry on those whose flow is loaded, re-arming their
        timers; end the others as ``error``, saying why, and hang them up at the carrier."""
        self._store = self._open_store()
        if self._owners is not None:
            self._owners.join()
        for record in self._calls.reconcile(self.clock(), self._cannot_go_on):
            logger.warning("call %s ended: %s", record.id, record.error)
            await self._ended_here(record)
        if self.settings.stale_call_reaper_seconds > 0:
            self._reaper = asyncio.create_task(self._reap_forever())

    def refuse_waits(self) -> None:
        """The server is stopping: every request waiting on a call (its end, the caller's
        words, the agent's reply) is answered now with ShuttingDownError, not cut off."""
        self._stopping = True
        for live in self._calls:
            for future in (live.agent_reply, live.heard):
                if future is not None and not future.done():
                    future.set_exception(ShuttingDownError())
            if live.ended is not None:
                live.ended.set()

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        await self.provider.aclose()
        self._deadlines.close()
        for live in self._calls:
            for future in (live.agent_reply, live.heard):
                if future is not None and not future.done():
                    future.cancel()
        if self._store is not None:
            self._calls.flush()
            self._store.close()
            self._store = None
        if self._owners is not None:
            # Only once every call is saved: until then no other process may take them.
            self._owners.leave()

    @property
    def calls_in_flight(self) -> int:
        return len(self._calls)

    # -- placing calls -------------------------------------------------------------

    async def place_call(
        self,
        flow_name: str,
        variables: Mapping[str, str],
        *,
        to: str | None = None,
        callee_script: Sequence[str] = (),
    ) -> CallRecord:
        """Dial a call of ``flow_name``; its record, in state initiated.

        Raises UnknownFlowError, InputError (bad values or number: nothing dialled),
        TooManyCallsError, and the provider's errors (the call is then recorded as failed).
        """
        engine = self.engines.get(flow_name)
        if engine is None:
            raise UnknownFlowError(flow_name, sorted(self.engines))
        if self.calls_in_flight >= self.settings.max_concurrent_calls:
            raise TooManyCallsError(self.settings.max_concurrent_calls)
        values = bind_inputs(engine.flow, variables)
        for text in callee_script:
            try:
                parse_input(text)
            except ScriptError as error:
                raise InputError("inputs", str(error)) from None
        number = to if to is not None else _render_number(engine.flow, values)
        problem = e164_problem(number)
        if problem is not None:
            raise InputError("to", f"the number to call, '{number}': {problem}")
        caller_id = self.settings.from_number
        if engine.flow.caller_id is not None:
            caller_id = _render_text(engine.flow, "from", engine.flow.caller_id, values)
        call_id = self._new_call_id()
        call = engine.new_call(
            call_id=call_id,
            variables=values,
            now=self.clock(),
            provider=self.provider.name,
            direction=Direction.OUTBOUND,
            from_number=caller_id,
            to_number=number,
        )
        live = self._calls.adopt(call, engine)
        self._save(live)
        await self._calls.committed()
        self.on_start(call.record)
        outbound = OutboundCall(
            to=number,
            caller_id=caller_id or "",
            answer_url=self._url(call_id, event="answer"),
            status_url=self._url(call_id, event="status"),
            callee_script=tuple(callee_script),
        )
        try:
            live.carrier_call_id = await self.provider.place_call(outbound)
        except Exception:
            self._apply(live, CallEnded(id="place-failed", at=self.clock(), reason=EndReason.FAILED))
            raise
        self._calls.set_carrier_id(live, live.carrier_call_id)
        self._save(live)
        await self._calls.committed()
        return call.snapshot()

    # -- webhooks ------------------------------------------------------------------

    async def webhook(self, query: Mapping[str, str], params: Mapping[str, str]) -> str:
        """The document for one carrier request to the voice webhook, once what it
        changed is saved.

        Raises WebhookFormatError (malformed request) and UnknownCallError.
        """
        document = await self._webhook(query, params)
        await self._calls.committed()
        return document

    async def _webhook(self, query: Mapping[str, str], params: Mapping[str, str]) -> str:
        call_id = query.get("call_id")
        event = query.get("event", "")
        turn = query.get("turn")
        kind = WebhookKind.STATUS if event == "status" else WebhookKind.GATHER if turn else WebhookKind.ANSWER
        hook = self.provider.parse_webhook(params, kind)
        if kind is WebhookKind.ANSWER and hook.status == "ended":
            # A status callback sent to the bare webhook URL (an inbound number's console
            # setting, say): no answer ever says the call is over.
            kind = WebhookKind.STATUS
        if call_id is None:
            # A carrier id starts at most one call: one it named before, in this process or
            # an earlier one, finds that call, in flight or over.
            call_id = self._calls.call_id_for(hook.carrier_call_id)
            if call_id is None:
                if kind is WebhookKind.ANSWER and hook.inbound:
                    return await self._inbound(hook)
                raise UnknownCallError(hook.carrier_call_id)
        live = self._find_for_webhook(call_id)
        if isinstance(live, CallRecord):
            # Over already: a late status callback, or a copy of a request the call had.
            refused = live.direction is Direction.INBOUND and live.answered_at is None
            if refused and kind is WebhookKind.ANSWER:
                return reject(self.provider.dialect)
            return self._empty_document()
        if event in ("resume", "connected"):
            return self._resume(live)
        if live.carrier_call_id != hook.carrier_call_id:
            # The id the carrier's webhooks use is the one its API takes for this call
            # (Plivo answers place_call with a request id that webhooks never show).
            self._calls.set_carrier_id(live, hook.carrier_call_id)
        answered = live.call.record.answered_at is not None
        events = events_for(hook, kind, turn, answered, self.clock())
        if kind is WebhookKind.GATHER and live.heard is not None and not live.heard.done():
            live.heard.set_result(hook.speech or hook.digits or None)
        if (
            events
            and all(event.id in live.call.seen_events for event in events)
            and kind is not WebhookKind.STATUS
        ):
            # The carrier asked again (a retry after a slow answer): the same document.
            return live.last_document or self._document(live, [])
        actions: list[Action] = []
        for engine_event in events:
            actions.extend(self._apply(live, engine_event, save=False))
        actions = await self._settle_consults(live, actions)
        self._save(live)
        if kind is WebhookKind.STATUS:
            return self._document(live, [])
        if kind is WebhookKind.ANSWER and actions and isinstance(actions[0], SendDigits):
            live.pending = tuple(actions[1:])
            redirect = self._url(call_id, event="connected")
            live.last_document = dtmf_then_redirect(self.provider.dialect, actions[0].digits, redirect)
            return live.last_document
        return self._document(live, actions)

    def _resume(self, live: LiveCall) -> str:
        """What was queued for the carrier's fetch after DTMF or a redirect."""
        if not live.pending:
            # Fetched twice: serving nothing would hang the call up.
            return live.last_document or self._document(live, [])
        queued, live.pending = live.pending, ()
        return self._document(live, list(queued))

    async def _inbound(self, hook: CarrierWebhook) -> str:
        policy = self.settings.inbound
        engine = self.engines.get(policy.flow or "")
        admitted = engine is not None and policy.admits(hook.from_number)
        if engine is None or not admitted or self.calls_in_flight >= self.settings.max_concurrent_calls:
            why = "refused by the inbound policy" if not admitted else "refused: no capacity"
            # Saved at once, not with the turn's commit: the next request for this carrier id
            # finds it in the store and is refused without a second record.
            self.store.save(refused_record(hook, why, self.provider.name, policy.flow, self.clock()))
            self._calls.saw_carrier_id(hook.carrier_call_id)
            return reject(self.provider.dialect)
        call_id = self._new_call_id()
        call = engine.new_call(
            call_id=call_id,
            variables=bind_inputs(engine.flow, {}),
            now=self.clock(),
            provider=self.provider.name,
            direction=Direction.INBOUND,
            from_number=hook.from_number,
            to_number=hook.to_number,
        )
        live = self._calls.adopt(call, engine, hook.carrier_call_id)
        self.on_start(call.record)
        answered = Answered(id=answer_id(hook), at=self.clock(), greeting=policy.greeting)
        actions = await self._settle_consults(live, self._apply(live, answered, save=False))
        self._save(live)
        return self._document(live, actions)

    # -- the agent's turn in consult steps ---------------------------------------------

    async def _settle_consults(self, live: LiveCall, actions: list[Action]) -> list[Action]:
        """Wait for the agent where a consult step asks it, and go on with its reply."""
        while actions and isinstance(consult := actions[-1], Consult):
            actions.pop()
            loop = asyncio.get_running_loop()
            live.agent_reply = loop.create_future()
            wait = min(consult.timeout, self.settings.max_agent_wait_seconds)
            try:
                reply = await asyncio.wait_for(asyncio.shield(live.agent_reply), wait)
            except TimeoutError:
                reply = None
            finally:
                live.agent_reply = None
            actions.extend(
                self._apply(live, AgentReply(id=self._event_id(), at=self.clock(), text=reply), save=False)
            )
        return actions

    # -- control operations --------------------------------------------------------------

    async def speak(self, call_id: str, text: str) -> None:
        """Say ``text`` into the call now; in a consult step, it is the agent's reply."""
        live = self._answered(call_id)
        if live.agent_reply is not None and not live.agent_reply.done():
            live.agent_reply.set_result(text)
            return
        await self._steer(live, ControlSpeak(id=self._event_id(), at=self.clock(), text=text))

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
        await self._steer(live, ControlDigits(id=self._event_id(), at=self.clock(), digits=digits))

    async def end_call(self, call_id: str) -> CallRecord:
        """End the call (reason ``hangup-bot``) and hang it up at the carrier, whatever
        flows are loaded; a call already over is returned as it is.

        Raises UnknownCallError, CallNotLiveError (another live process runs it) and the
        provider's errors.
        """
        try:
            live = self._calls.claim(call_id)
        except UnknownCallError:
            return self.record(call_id)  # already over: ending it again changes nothing
        if isinstance(live, CallRecord):
            # Its flow is not loaded here: no engine runs its end, but the record and the
            # carrier need none.
            record = self._calls.end_unrunnable(live, EndReason.HANGUP_BOT, self.clock())
            await self._ended_here(record, quietly=False)
            return record
        if live.call.record.answered_at is None:
            self._apply(live, CallEnded(id=self._event_id(), at=self.clock(), reason=EndReason.HANGUP_BOT))
        else:
            self._apply(live, ControlEnd(id=self._event_id(), at=self.clock()))
        await self._calls.committed()
        if live.carrier_call_id is not None:
            await self.provider.hang_up(live.carrier_call_id)
        return live.call.snapshot()

    async def _steer(self, live: LiveCall, event: AnyEvent) -> None:
        """Apply a control event and have the carrier fetch what it produced."""
        actions = self._apply(live, event)
        if not actions:
            raise CallNotLiveError(live.call.id, "it is not connected")
        live.pending = tuple(actions)
        await self._calls.committed()
        if live.carrier_call_id is None:
            # Only an answered call is steered, and the carrier's answer webhook set its id.
            raise RuntimeError(f"call {live.call.id} is answered but has no carrier call id")
        # A fresh reference in every resume URL: two redirects never look like one replayed.
        resume = self._url(live.call.id, event="resume", ref=secrets.token_urlsafe(6))
        await self.provider.redirect(live.carrier_call_id, resume)

    def calls_by_state(self) -> dict[str, int]:
        """How many calls in flight are in each lifecycle state (for /metrics)."""
        counts: dict[str, int] = {}
        for live in self._calls:
            counts[live.call.lifecycle] = counts.get(live.call.lifecycle, 0) + 1
        return counts

    def waiting_for(self, call_id: str) -> str | None:
        """ "agent" while a consult step waits for the agent's reply, "caller" while a turn
        waits for the caller, None otherwise (or for a call not in flight here)."""
        live = self._calls.get(call_id)
        if live is None or live.call.ended:
            return None
        if live.agent_reply is not None and not live.agent_reply.done():
            return "agent"
        return "caller" if live.call.turn is not None else None

    def record(self, call_id: str) -> CallRecord:
        live = self._calls.get(call_id)
        if live is not None:
            return live.call.snapshot()
        record = self._calls.stored(call_id)
        if record is None:
            raise UnknownCallError(call_id)
        return record

    async def wait_ended(self, call_id: str, timeout: float) -> CallRecord:
        """The record once the call has ended, or as it is when ``timeout`` passes."""
        live = self._calls.get(call_id)
        if live is not None:
            if live.ended is None:
                live.ended = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(live.ended.wait(), timeout)
            if self._stopping and not live.call.ended:
                raise ShuttingDownError
        return self.record(call_id)

    # -- timers ------------------------------------------------------------------------

    def _restored(self, live: LiveCall) -> None:
        self._arm_timer(live)
        self.on_restore(live.call.record)

    def _arm_timer(self, live: LiveCall) -> None:
        answered = live.call.record.answered_at
        if answered is None or live.call.ended:
            return
        limit = live.engine.flow.max_duration or self.settings.max_duration_seconds
        self._deadlines.set(live.call.id, answered + limit)

    def _deadline_passed(self, call_id: str) -> None:
        live = self._calls.get(call_id)
        if live is not None:
            task = asyncio.ensure_future(self._time_out(live))
            # The loop keeps only a weak reference to a task: hold it until it is done.
            self._timeouts.add(task)
            task.add_done_callback(self._timeouts.discard)

    async def _time_out(self, live: LiveCall) -> None:
        if live.call.ended:
            return
        self._apply(live, Timer(id=self._event_id(), at=self.clock(), kind="max_duration"))
        if live.carrier_call_id is not None:
            await self._hang_up_quietly(live.carrier_call_id)

    async def _reap_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.reaper_interval_seconds)
            await self.reap_stale_calls()

    async def reap_stale_calls(self) -> list[str]:
        """End every call that has heard nothing (no webhook, no event) for too long; their ids.

        A call never answered ends as failed (the carrier could not place it); one that
        was answered ends with reason error (the carrier stopped telling us about it).
        """
        limit = self.settings.stale_call_reaper_seconds
        reaped = []
        for live in self._calls:
            call = live.call
            if call.ended or self.clock() - call.last_event_at < limit:
                continue
            if call.record.answered_at is None:
                call.record.error = f"no answer and no end from the carrier within {limit} s"
                reason = EndReason.FAILED
            else:
                call.record.error = f"no webhook from the carrier within {limit} s"
                reason = EndReason.ERROR
            self._apply(live, CallEnded(id=self._event_id(), at=self.clock(), reason=reason))
            if live.carrier_call_id is not None:
                await self._hang_up_quietly(live.carrier_call_id)
            reaped.append(call.id)
        return reaped

    def _cannot_go_on(self, record: CallRecord) -> str | None:
        """Why a call left in flight by a process that stopped cannot go on here, if it cannot."""
        if record.flow not in self.engines:
            return f"this server started without its flow '{record.flow}', so it could not carry the call on"
        if record.provider == MockProvider.name:
            return "the mock carrier ran in that process, and the call ended with it"
        return None

    async def _ended_here(self, record: CallRecord, *, quietly: bool = True) -> None:
        """A call no engine here ran, just ended in the store: counted as brought back
        and ended in this process, and hung up at the carrier."""
        self.on_restore(record)
        self.on_end(record)
        if record.carrier_call_id is None:
            return
        if quietly:
            await self._hang_up_quietly(record.carrier_call_id)
        else:
            await self.provider.hang_up(record.carrier_call_id)

    async def _hang_up_quietly(self, carrier_call_id: str) -> None:
        try:
            await self.provider.hang_up(carrier_call_id)
        except Exception as error:
            # The call is over for us either way; the carrier ends it on its own side.
            logger.warning("could not hang up %s: %s", carrier_call_id, error)

    # -- bookkeeping ---------------------------------------------------------------------

    def _find_for_webhook(self, call_id: str) -> LiveCall | CallRecord:
        """The live call, or the record of a call that has ended."""
        try:
            return self._calls.find(call_id)
        except UnknownCallError:
            record = self._calls.stored(call_id)
            if record is None:
                raise
            return record

    def _answered(self, call_id: str) -> LiveCall:
        try:
            live = self._calls.claim(call_id)
        except UnknownCallError:
            record = self._calls.stored(call_id)
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

    def _apply(self, live: LiveCall, event: AnyEvent, *, save: bool = True) -> list[Action]:
        actions = live.engine.handle(live.call, event)
        if isinstance(event, Answered):
            self._arm_timer(live)
        if save:
            self._save(live)
        return actions

    def _save(self, live: LiveCall) -> None:
        self._calls.save(live)

    def _leave(self, live: LiveCall) -> None:
        """An ended call, about to leave memory: its timer and its waiters let go."""
        self._deadlines.cancel(live.call.id)
        if live.heard is not None and not live.heard.done():
            live.heard.set_result(None)
        if live.ended is not None:
            live.ended.set()
        self.on_end(live.call.record)

    def _document(self, live: LiveCall, actions: list[Action]) -> str:
        dialect, url = self.provider.dialect, self.settings.webhook_url
        try:
            document = render(dialect, actions, webhook_url=url, call_id=live.call.id)
        except DialectError as error:
            # A text that only now breaks the carrier's limits (an input made the greeting
            # too long, say): this call ends with the reason, the server goes on.
            live.call.record.error = str(error)
            if live.call.ended:
                # The turn that ended the call (a notify's greeting, a last say) is the one
                # that could not be said: the call ended in error, not as the flow planned.
                # The engine cannot know a carrier's limits, so its end is corrected here.
                live.call.record.end_reason = EndReason.ERROR
                live.call.lifecycle = EndReason.ERROR.value
                self._save(live)
            else:
                self._apply(live, CallEnded(id=self._event_id(), at=self.clock(), reason=EndReason.ERROR))
            document = render(dialect, [Hangup(EndReason.ERROR)], webhook_url=url, call_id=live.call.id)
        live.last_document = document
        return document

    def _empty_document(self) -> str:
        if self._empty is None:
            self._empty = render(self.provider.dialect, [], webhook_url=self.settings.webhook_url, call_id="")
        return self._empty

    def _url(self, call_id: str, **query: str) -> str:
        return f"{self.settings.webhook_url}?{urlencode({'call_id': call_id, **query})}"

    def _new_call_id(self) -> str:
        """``call-``, the time in milliseconds, then 48 random bits (24 hex digits in all).

        Ids that grow with time go in at the end of the store's id index, where random
        ones would land on a random page of it on every save: with ids in time order a
        save costs about a fifth less, and stays flat as the table grows.
        """
        return f"call-{int(self.clock() * 1000):012x}{secrets.token_hex(6)}"

    def _event_id(self) -> str:
        return f"local-{next(self._ids)}"


def _render_number(flow: Flow, values: Mapping[str, Data]) -> str:
    if flow.to is None:
        raise InputError("to", f"flow '{flow.name}' has no 'to': give the number to call")
    return _render_text(flow, "to", flow.to, values)


def _render_text(flow: Flow, key: str, text: Text, values: Mapping[str, Data]) -> str:
    """The flow's top-level ``key`` rendered; InputError naming ``key`` when it fails."""
    try:
        return text.render({**values, "call": {}, "last": {}, "consult": {}})
    except Exception as error:
        # A template may raise anything; before dialling, that is bad input.
        raise InputError(key, f"flow '{flow.name}': '{key}' could not be rendered: {error}") from None


def _ignore(record: CallRecord) -> None:
    return None
