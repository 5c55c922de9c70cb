"""The agent's turn in consult steps, answered within the carrier's deadline.

A consult step asks once: the configured agent (``ConsultAgent``), or without one
whoever speaks through the control API (``live.agent_reply``). The answer is a task of
its own (``ConsultWait``, kept on the call), so no carrier request has to last as long
as the agent thinks: a request holds the wait at most ``agent_hold_seconds``; when the
answer is not in by then, the carrier gets what the turn said so far, the filler line
(once per wait) and a redirect back to the webhook (``event=agent``), whose request
holds the same wait again. The agent's own timeout, or ``max_agent_wait_seconds`` for a
reply from outside, still ends the wait as before: the fallback line, or no reply.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from runner.service._consult_wait import ConsultAnswer, ConsultWait
from runner.service._desk import CallDesk
from runner.service._errors import ShuttingDownError
from runner.service._live_calls import ConsultAsked, LiveCall
from runner.types import Action, AgentReply, Consult, Speak

#: The ``event`` of the webhook URL a carrier is redirected to while the agent thinks.
AGENT_EVENT = "agent"


@dataclass
class Settled:
    """What came of a turn's consult steps within one request."""

    actions: list[Action]
    #: The wait still pending when the hold was over: the carrier is to come back for it.
    pending: ConsultWait | None = None
    #: Another request (a carrier's copy of this one) took the answer, and its document
    #: is this request's answer too.
    taken_elsewhere: bool = False


async def settle_consults(
    desk: CallDesk, live: LiveCall, actions: list[Action], wait: ConsultWait | None = None
) -> Settled:
    """Ask the agent where a consult step ends ``actions`` (or hold ``wait``, already
    asked), and go on with its answer, consult after consult, until the turn needs no
    agent or the hold is over with an answer still pending."""
    hold = desk.settings.agent_hold_seconds
    while True:
        if wait is None:
            if not actions or not isinstance(consult := actions[-1], Consult):
                return Settled(actions)
            actions.pop()
            wait = live.consult_wait = _ask(desk, live, consult)
        if not await wait.hold(hold):
            return Settled(actions, pending=wait)
        if live.consult_wait is wait:
            live.consult_wait = None
        if wait.cancelled:
            if desk.stopping:
                raise ShuttingDownError
            # The call ended while the agent thought: nothing is left to ask.
            return Settled(actions)
        answer = wait.take()
        if answer is None:
            return Settled(actions, taken_elsewhere=True)
        actions.extend(desk.apply(live, answer.event(id=desk.event_id(), at=desk.clock()), save=False))
        wait = None


async def settle_redirect(desk: CallDesk, live: LiveCall) -> Settled | None:
    """The carrier came back (``event=agent``) for the answer the call waits for: hold it
    again. When no wait is in this process (it restarted meanwhile) but the call still
    waits for the agent, it is asked again; None when the call waits for no agent."""
    wait = live.consult_wait
    if wait is None:
        consult = live.engine.pending_consult(live.call)
        if consult is None:
            return None
        wait = live.consult_wait = _ask(desk, live, consult)
        # The carrier only comes back after the filler line was said.
        wait.filler_said = True
    return await settle_consults(desk, live, [], wait)


def settled_document(desk: CallDesk, live: LiveCall, settled: Settled) -> str:
    """The carrier's document for what came of the turn's consults."""
    if settled.taken_elsewhere:
        # A copy of this request carried the answer into the call: its document answers.
        return live.last_document or desk.document(live, [])
    if settled.pending is not None:
        return _document_while_waiting(desk, live, settled.actions, settled.pending)
    return desk.document(live, settled.actions)


def _document_while_waiting(desk: CallDesk, live: LiveCall, actions: list[Action], wait: ConsultWait) -> str:
    """What the turn said so far, the filler line (once per wait, in the flow's voice),
    then a redirect that brings the carrier back for the answer."""
    said = list(actions)
    filler = desk.settings.agent_filler
    if not wait.filler_said:
        wait.filler_said = True
        if filler:
            voice = live.engine.flow.voice
            said.append(Speak(filler, voice.name, voice.language))
    # A fresh reference in every URL: each redirect is a request of its own, which the
    # replay guard would otherwise answer with the first one's answer.
    back = desk.url(live.call.id, event=AGENT_EVENT, ref=secrets.token_urlsafe(6))
    desk.on_agent_redirect()
    return desk.document(live, said, then_redirect=back)


def _ask(desk: CallDesk, live: LiveCall, consult: Consult) -> ConsultWait:
    record = live.call.record
    asking: Coroutine[Any, Any, ConsultAnswer]
    if desk.agent is not None:
        # As long as the agent's (or the step's) timeout: the carrier is held by redirects.
        asking = desk.agent.reply(record.id, consult, tuple(record.transcript))
    else:
        seconds = min(consult.timeout, desk.settings.max_agent_wait_seconds)
        asking = _from_outside(desk, live, consult, seconds)
    return ConsultWait(asyncio.create_task(asking, name=f"consult of {record.id}"))


@dataclass(frozen=True)
class _SpokenFromOutside:
    """A reply spoken through the control API; None when none came in time."""

    text: str | None

    def event(self, *, id: str, at: float) -> AgentReply:
        return AgentReply(id=id, at=at, text=self.text)


async def _from_outside(desk: CallDesk, live: LiveCall, consult: Consult, seconds: float) -> ConsultAnswer:
    """Wait for the control API's speak; meanwhile ``live.consult`` says what is asked."""
    live.agent_reply = reply = asyncio.get_running_loop().create_future()
    live.consult = ConsultAsked(consult.prompt, consult.heard, since=desk.clock())
    try:
        text = await asyncio.wait_for(asyncio.shield(reply), seconds)
    except TimeoutError:
        text = None
    finally:
        live.agent_reply = None
        live.consult = None
    return _SpokenFromOutside(text)
