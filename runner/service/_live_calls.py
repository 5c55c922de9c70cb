"""The calls this process is running: kept in memory, saved with each turn's commit,
and brought back from the store when a webhook names a call saved in flight by an
earlier process.

A call in flight is saved with the id of the process running it (see ``_owners``):
calls another live process runs are left to it, and at start the calls no process
runs are taken over, or ended when no engine here can run them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from runner.engine import Call, FlowEngine
from runner.service._consult_wait import ConsultWait
from runner.service._errors import CallNotLiveError, UnknownCallError, UnknownFlowError
from runner.service._group_commit import GroupCommit
from runner.service._known_ids import KnownIds
from runner.service._owners import Owners
from runner.store import Store
from runner.types import Action, CallRecord, EndReason

#: The key of the owner's id in a call's saved engine state.
OWNER_KEY = "owner"
#: How the record of a call ended at start, because no process ran it and it could not go
#: on in the server starting, begins its ``error`` (``callflow tail`` shows it).
ORPHANED = "left in flight by a process that stopped"


@dataclass(frozen=True, slots=True)
class ConsultAsked:
    """What a consult step waiting for someone outside asks of them: the rendered prompt,
    the caller's last words, and since when (Unix seconds) it waits."""

    prompt: str
    heard: str
    since: float

    def as_json(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "heard": self.heard, "since": self.since}


class ActionSink(Protocol):
    """Where a streamed call's actions made outside its stream (the control API's speak,
    digits, end) go: its media session, which performs them on the stream."""

    def perform(self, actions: list[Action]) -> None: ...


@dataclass
class LiveCall:
    """A call this process is running, with what only a running process has."""

    call: Call
    engine: FlowEngine
    carrier_call_id: str | None = None
    #: Actions to serve when the carrier fetches the resume URL (after DTMF, a redirect).
    #: A tuple, not a list: most calls never queue anything, and an empty tuple is shared.
    pending: tuple[Action, ...] = ()
    last_document: str | None = None
    #: Set while a consult step waits for the agent's reply, over the webhook that asked
    #: and the redirects after it.
    consult_wait: ConsultWait | None = None
    #: Set while a consult step waits for a reply from outside (the control API's speak).
    agent_reply: asyncio.Future[str | None] | None = None
    #: What that consult step asks, while it waits for a reply from outside (no agent configured).
    consult: ConsultAsked | None = None
    #: Set while a ``continue`` waits for what the caller says next.
    heard: asyncio.Future[str | None] | None = None
    #: Made by the first request that waits for the end (most calls have none).
    ended: asyncio.Event | None = None
    #: The media session of a call whose audio is streamed, while its stream is up.
    media: ActionSink | None = None


class LiveCalls:
    """Calls in flight by id and by the carrier's id.

    ``store`` gives the store once it is open; ``on_restore`` is told of each call
    brought back from it, ``on_leave`` of each call that ends (before it leaves memory).
    ``owners`` None: no other process uses the store, and no call in it is running.
    """

    def __init__(
        self,
        engines: Mapping[str, FlowEngine],
        store: Callable[[], Store],
        on_restore: Callable[[LiveCall], None],
        on_leave: Callable[[LiveCall], None],
        owners: Owners | None = None,
    ) -> None:
        self._engines = engines
        self._owners = owners
        self._store = store
        self._on_restore = on_restore
        self._on_leave = on_leave
        self._by_id: dict[str, LiveCall] = {}
        self._by_carrier_id: dict[str, str] = {}
        #: Carrier ids of calls that ended since the last commit: not in memory any more,
        #: not yet in the store.
        self._ending: dict[str, str] = {}
        self._known = KnownIds(self._all_carrier_ids)
        self._writes: GroupCommit[LiveCall] = GroupCommit(self._write)

    def __len__(self) -> int:
        # An ended call leaves as it is saved (see save), so this is a count of calls in flight.
        return len(self._by_id)

    def __iter__(self) -> Iterator[LiveCall]:
        return iter(list(self._by_id.values()))

    def get(self, call_id: str) -> LiveCall | None:
        """The call if it is in memory; None otherwise."""
        return self._by_id.get(call_id)

    def call_id_for(self, carrier_call_id: str) -> str | None:
        """The id of the call the carrier names so: in flight, or over (in this process or
        an earlier one); None for a carrier id no call has had."""
        call_id = self._by_carrier_id.get(carrier_call_id) or self._ending.get(carrier_call_id)
        if call_id is None and self._known.may_know(carrier_call_id):
            record = self._store().by_carrier_id(carrier_call_id)
            call_id = None if record is None else record.id
        return call_id

    def saw_carrier_id(self, carrier_call_id: str) -> None:
        """Note a carrier id saved outside a live call (a refused call's record)."""
        self._known.add(carrier_call_id)

    def adopt(self, call: Call, engine: FlowEngine, carrier_call_id: str | None = None) -> LiveCall:
        live = LiveCall(call, engine)
        self._by_id[call.id] = live
        if carrier_call_id is not None:
            self.set_carrier_id(live, carrier_call_id)
        return live

    def set_carrier_id(self, live: LiveCall, carrier_call_id: str) -> None:
        live.carrier_call_id = carrier_call_id
        live.call.record.carrier_call_id = carrier_call_id
        self._by_carrier_id[carrier_call_id] = live.call.id
        self._known.add(carrier_call_id)

    def reconcile(self, now: float, cannot_go_on: Callable[[CallRecord], str | None]) -> list[CallRecord]:
        """Take over every call in flight that no process runs: each is brought back, or
        ends as ``error`` when ``cannot_go_on`` says why it cannot go on here (its flow
        is not loaded, say). The ended records."""
        ended = []
        # Asked once per owner, not once per call: thousands of calls have a few owners.
        elsewhere: dict[str | None, int | None] = {}
        with self._one_at_a_time():
            for record, state in self._store().in_flight():
                owner = _owner(state)
                if owner not in elsewhere:
                    elsewhere[owner] = self._running_elsewhere(owner)
                if elsewhere[owner] is not None:
                    continue
                why = cannot_go_on(record)
                if why is None:
                    self._take_over(record, state)
                else:
                    record.error = f"{ORPHANED}; {why}"
                    ended.append(self.end_unrunnable(record, EndReason.ERROR, now))
            self.flush()
        return ended

    def claim(self, call_id: str) -> LiveCall | CallRecord:
        """The call in flight with this id, for a control request: in memory, or taken
        over from the store when no process runs it; its stored record when its flow is
        not loaded here.

        Raises UnknownCallError (no such call in flight) and CallNotLiveError (another
        live process runs it: only that process may steer it).
        """
        live = self._by_id.get(call_id)
        if live is not None:
            return live
        self._writes.flush()
        with self._one_at_a_time():
            saved = self._store().live(call_id)
            if saved is None:
                raise UnknownCallError(call_id)
            record, state = saved
            pid = self._running_elsewhere(_owner(state))
            if pid is not None:
                why = f"another callflow process (pid {pid}) runs it; steer it through that process's server"
                raise CallNotLiveError(call_id, why)
            if record.flow not in self._engines:
                return record
            live = self._take_over(record, state)
            self.flush()
            return live

    def end_unrunnable(self, record: CallRecord, reason: EndReason, now: float) -> CallRecord:
        """End, in the store, a call in flight that no engine here can run: its record."""
        record.lifecycle = reason.value
        record.end_reason = reason
        record.ended_at = now
        self._store().save(record)
        return record

    def find(self, call_id: str) -> LiveCall:
        """The call in flight with this id: in memory, or brought back from the store.

        Raises UnknownCallError (no such call in flight) and UnknownFlowError.
        """
        live = self._by_id.get(call_id)
        if live is not None:
            return live
        # Read what this process saved, including the saves still waiting for their commit.
        self._writes.flush()
        saved = self._store().live(call_id)
        if saved is None:
            raise UnknownCallError(call_id)
        return self._restore(*saved)

    def stored(self, call_id: str) -> CallRecord | None:
        """The call's record in the store (with this process's latest saves), or None."""
        self._writes.flush()
        return self._store().get(call_id)

    def save(self, live: LiveCall) -> None:
        """Save the call with this turn's commit; an ended call leaves memory at once.

        An ended call may be saved again (a webhook that waited for the agent while the
        call ended): ``on_leave`` hears of it once, as it leaves.
        """
        self._writes.add(live.call.id, live)
        if live.call.ended and self._by_id.pop(live.call.id, None) is not None:
            self._on_leave(live)
            live.engine.release(live.call)
            if live.carrier_call_id is not None:
                self._by_carrier_id.pop(live.carrier_call_id, None)
                self._ending[live.carrier_call_id] = live.call.id

    async def committed(self) -> None:
        """Return once every save so far is committed."""
        await self._writes.committed()

    def flush(self) -> None:
        self._writes.flush()

    def _all_carrier_ids(self) -> list[str]:
        return [*self._store().carrier_call_ids(), *self._by_carrier_id, *self._ending]

    def _running_elsewhere(self, owner: str | None) -> int | None:
        """The pid of the live process that runs calls as ``owner``, when it is another."""
        if self._owners is None or owner == self._owners.id:
            return None
        return self._owners.running(owner)

    def _one_at_a_time(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext() if self._owners is None else self._owners.reconciling()

    def _take_over(self, record: CallRecord, state: dict[str, Any]) -> LiveCall:
        """Bring the call back and save it as this process's, before another process looks."""
        live = self._restore(record, state)
        self.save(live)
        return live

    def _restore(self, record: CallRecord, state: dict[str, Any]) -> LiveCall:
        engine = self._engines.get(record.flow)
        if engine is None:
            raise UnknownFlowError(record.flow, sorted(self._engines))
        # Files written before records held the carrier's id kept it in the state only.
        carrier_call_id = record.carrier_call_id or state.get("carrier_call_id")
        live = self.adopt(engine.restore(record, state), engine, carrier_call_id)
        live.last_document = state.get("last_document")
        self._on_restore(live)
        return live

    def _write(self, lives: list[LiveCall]) -> None:
        """The calls as they are now, with the engine state of those still in flight."""
        items: list[tuple[CallRecord, dict[str, Any] | None]] = []
        for live in lives:
            call = live.call
            state = None
            if not call.ended:
                state = live.engine.snapshot(call)
                # A carrier's retry after a restart gets the answer it missed.
                state["last_document"] = live.last_document
                if self._owners is not None:
                    state[OWNER_KEY] = self._owners.id
            items.append((call.synced_record(), state))
        self._store().save_many(items)
        for live in lives:
            if live.call.ended and live.carrier_call_id is not None:
                self._ending.pop(live.carrier_call_id, None)


def running_pid(store: Store, owners: Owners, call_id: str) -> int | None:
    """The pid of the live process that runs the call ``call_id``; None when it is not in
    flight or no process runs it."""
    saved = store.live(call_id)
    return None if saved is None else owners.running(_owner(saved[1]))


def _owner(state: Mapping[str, Any]) -> str | None:
    owner = state.get(OWNER_KEY)
    return owner if isinstance(owner, str) else None
