"""What the parts of the call service share, and the few acts every part performs on a call.

The parts (answering webhooks, dialing, the control operations, the timers) each hold
one ``CallDesk`` and know nothing of each other, so a new part (a campaign dispatcher,
an agent loop, a media-stream handler) is added beside them without touching them.
The desk holds the carrier, the store, the calls in flight and their deadlines; it
applies an event to a call, saves it, renders its document and hangs it up.
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from flows import Flow
from runner.agent import ConsultAgent
from runner.dialects import DialectError, render
from runner.engine import FlowEngine
from runner.providers import Provider
from runner.service._deadlines import Deadlines
from runner.service._errors import ShuttingDownError
from runner.service._live_calls import LiveCall, LiveCalls
from runner.service._owners import Owners
from runner.service._settings import ServiceSettings
from runner.service._stream_tokens import StreamTokens
from runner.store import Store
from runner.types import Action, Answered, AnyEvent, CallEnded, CallRecord, EndReason, Hangup

logger = logging.getLogger("callflow.service")


class CallDesk:
    """The state the call service's parts share: settings, carrier, engines, store,
    calls in flight, deadlines, the processes that share the store, and the hooks that
    tell the server of calls that start, end or are brought back."""

    def __init__(
        self,
        settings: ServiceSettings,
        provider: Provider,
        open_store: Callable[[], Store],
        flows: Iterable[Flow],
        *,
        clock: Callable[[], float],
        owners: Owners | None,
        agent: ConsultAgent | None = None,
    ) -> None:
        self.settings = settings
        #: Who answers consult steps; None: whoever speaks through the control API.
        self.agent = agent
        self.provider = provider
        self.clock = clock
        self.engines = {flow.name: FlowEngine(flow) for flow in flows}
        #: The processes that share the store; None when no other process uses it.
        self.owners = owners
        # Opened by open_store(), on the thread that runs the service: SQLite connections
        # belong to the thread that made them.
        self._open_store = open_store
        self._store: Store | None = None
        self.deadlines = Deadlines(self._deadline_due, clock)
        self.calls = LiveCalls(self.engines, lambda: self.store, self._restored, self._leave, owners)
        #: One-time tokens for media streams, minted into the documents that open them.
        self.stream_tokens = StreamTokens()
        #: The documents of streamed calls handed back to their carrier (a transfer), by call
        #: id, until it fetches them: the call has ended and left memory by then.
        self.handed_over: dict[str, str] = {}
        #: Set once the server is stopping: waits end with ShuttingDownError.
        self.stopping = False
        #: Told of every call that starts and ends in this process (the server's metrics),
        #: and of every call an earlier process started that this one brought back.
        self.on_start: Callable[[CallRecord], None] = _ignore
        self.on_end: Callable[[CallRecord], None] = _ignore
        self.on_restore: Callable[[CallRecord], None] = _ignore
        #: Told of a call in flight whose max_duration has passed (the timers' part).
        self.on_deadline: Callable[[LiveCall], None] = _ignore
        #: Told each time a carrier is sent back to wait for the agent (the server's metrics).
        self.on_agent_redirect: Callable[[], None] = lambda: None
        self._ids = itertools.count(1)
        self._empty: str | None = None

    # -- the store -----------------------------------------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the call service has not been started")
        return self._store

    def open_store(self) -> None:
        self._store = self._open_store()

    def close_store(self) -> None:
        """Save what waits for a commit, then close the store (nothing when it is not open)."""
        if self._store is not None:
            self.calls.flush()
            self._store.close()
            self._store = None

    # -- calls in flight ---------------------------------------------------------------

    @property
    def calls_in_flight(self) -> int:
        return len(self.calls)

    @property
    def at_capacity(self) -> bool:
        return self.calls_in_flight >= self.settings.max_concurrent_calls

    def refuse_waits(self) -> None:
        """Answer every wait on a call (its end, the caller's words, the agent's reply) now
        with ShuttingDownError, rather than cut it off; the agent is asked no further."""
        self.stopping = True
        for live in self.calls:
            for future in (live.agent_reply, live.heard):
                if future is not None and not future.done():
                    future.set_exception(ShuttingDownError())
            if live.consult_wait is not None:
                live.consult_wait.cancel()
            if live.ended is not None:
                live.ended.set()

    def cancel_waits(self) -> None:
        for live in self.calls:
            for future in (live.agent_reply, live.heard):
                if future is not None and not future.done():
                    future.cancel()
            if live.consult_wait is not None:
                live.consult_wait.cancel()

    # -- acts on a call ----------------------------------------------------------------

    def apply(self, live: LiveCall, event: AnyEvent, *, save: bool = True) -> list[Action]:
        """Run ``event`` on the call's engine (arming its deadline when it is answered); the
        actions it produced. Saved with this turn's commit unless ``save`` is False."""
        actions = live.engine.handle(live.call, event)
        if isinstance(event, Answered):
            self.arm_deadline(live)
        if save:
            self.save(live)
        return actions

    def save(self, live: LiveCall) -> None:
        self.calls.save(live)

    def arm_deadline(self, live: LiveCall) -> None:
        """Count the call's max_duration from its answer (a call not answered has none)."""
        answered = live.call.record.answered_at
        if answered is None or live.call.ended:
            return
        limit = live.engine.flow.max_duration or self.settings.max_duration_seconds
        self.deadlines.set(live.call.id, answered + limit)

    def document(self, live: LiveCall, actions: list[Action], *, then_redirect: str | None = None) -> str:
        """The carrier's document for ``actions``, kept as the call's last answer;
        ``then_redirect``: the URL the carrier fetches next (the turn goes on)."""
        if not actions and then_redirect is None:
            live.last_document = self.empty_document()
            return live.last_document
        dialect, url = self.provider.dialect, self.settings.webhook_url
        try:
            document = render(
                dialect, actions, webhook_url=url, call_id=live.call.id, then_redirect=then_redirect
            )
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
                self.save(live)
            else:
                self.apply(live, CallEnded(id=self.event_id(), at=self.clock(), reason=EndReason.ERROR))
            document = render(dialect, [Hangup(EndReason.ERROR)], webhook_url=url, call_id=live.call.id)
        live.last_document = document
        return document

    def empty_document(self) -> str:
        """The document that asks the carrier for nothing (the one place it is made)."""
        if self._empty is None:
            self._empty = render(self.provider.dialect, [], webhook_url=self.settings.webhook_url, call_id="")
        return self._empty

    async def ended_here(self, record: CallRecord, *, quietly: bool = True) -> None:
        """A call no engine here ran, just ended in the store: counted as brought back
        and ended in this process, and hung up at the carrier."""
        self.on_restore(record)
        self.on_end(record)
        if record.carrier_call_id is None:
            return
        if quietly:
            await self.hang_up_quietly(record.carrier_call_id)
        else:
            await self.provider.hang_up(record.carrier_call_id)

    async def hang_up_quietly(self, carrier_call_id: str) -> None:
        try:
            await self.provider.hang_up(carrier_call_id)
        except Exception as error:
            # The call is over for us either way; the carrier ends it on its own side.
            logger.warning("could not hang up %s: %s", carrier_call_id, error)

    # -- names and addresses -------------------------------------------------------------

    def url(self, call_id: str, **query: str) -> str:
        """The webhook's URL for ``call_id``, with ``query`` added."""
        return f"{self.settings.webhook_url}?{urlencode({'call_id': call_id, **query})}"

    def new_call_id(self) -> str:
        """``call-``, the time in milliseconds, then 48 random bits (24 hex digits in all).

        Ids that grow with time go in at the end of the store's id index, where random
        ones would land on a random page of it on every save: with ids in time order a
        save costs about a fifth less, and stays flat as the table grows.
        """
        return f"call-{int(self.clock() * 1000):012x}{secrets.token_hex(6)}"

    def event_id(self) -> str:
        return f"local-{next(self._ids)}"

    # -- told by the calls in flight -----------------------------------------------------

    def _restored(self, live: LiveCall) -> None:
        self.arm_deadline(live)
        self.on_restore(live.call.record)

    def _leave(self, live: LiveCall) -> None:
        """An ended call, about to leave memory: its deadline and its waiters let go, and
        the agent, if it still thinks, is asked no further."""
        self.deadlines.cancel(live.call.id)
        if live.consult_wait is not None:
            live.consult_wait.cancel()
            live.consult_wait = None
        if live.heard is not None and not live.heard.done():
            live.heard.set_result(None)
        if live.ended is not None:
            live.ended.set()
        self.on_end(live.call.record)

    def _deadline_due(self, call_id: str) -> None:
        live = self.calls.get(call_id)
        if live is not None:
            self.on_deadline(live)


def _ignore(_: object) -> None:
    return None
