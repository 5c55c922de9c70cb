"""Run a whole call offline: the engine on one side, a scripted callee on the other.

Time is simulated, so a call of minutes runs in microseconds and its timings are the
same on every run: speech takes ``SPEECH_CHARS_PER_SECOND`` (a bot that hangs up does
so once it has said what came before), the caller answers
``CALLER_REACTION_SECONDS`` after a prompt ends, silence lasts the gather's timeout,
``wait:N`` keeps the caller silent for N seconds (through as many gather timeouts as
fit in them), and ``max_duration`` ends the call at its limit on this clock.

Consult steps get the supplied agent replies in order, each read as the server reads a
model's reply (only the words meant for the caller); once they run out, a real agent
(``AgentEndpoint``) answers if one is given, else the agent does not answer.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import TypeAlias

from flows import Data, Flow, Text, e164_problem
from runner.agent import AgentAnswer, ConsultAgent, ModelReply, spoken_text, supplied_answer
from runner.config import AgentSettings
from runner.engine import Call, FlowEngine, InputError, render_before_call
from runner.script import CallerAction, HangUp, Press, Say, Silence, Wait, digits_reported
from runner.types import (
    Action,
    AgentReply,
    Answered,
    AnyEvent,
    CallEnded,
    CallRecord,
    Consult,
    Digits,
    Direction,
    EndReason,
    Gather,
    Hangup,
    NoInput,
    Pause,
    Play,
    Ringing,
    SendDigits,
    Speak,
    Speech,
    Timer,
    TranscriptEntry,
)

SPEECH_CHARS_PER_SECOND = 15.0
CALLER_REACTION_SECONDS = 1.0
AGENT_REPLY_SECONDS = 0.5
RING_SECONDS = 2.0
AUDIO_SECONDS = 3.0
#: A simulated inbound call comes from this number (a fictional one).
SIMULATED_CALLER = "+14155550123"
#: The ids of simulated calls start with this; a server's calls start with ``call-``.
SIMULATED_ID_PREFIX = "sim-"


def new_call_id() -> str:
    return f"{SIMULATED_ID_PREFIX}{uuid.uuid4().hex[:12]}"


def is_simulated(record: CallRecord) -> bool:
    """Whether ``record`` is of a call ``simulate`` ran: its times are the simulated clock's."""
    return record.id.startswith(SIMULATED_ID_PREFIX)


def read_reply(raw: str) -> str:
    """A supplied agent reply as the server reads a model's reply: only the words meant
    for the caller ("" for none), whatever JSON, fences or planning text came with them."""
    return spoken_text(ModelReply(content=raw))


#: A supplied agent reply: its raw text, or a whole model reply (with tool calls).
SuppliedReply: TypeAlias = str | ModelReply


class AgentEndpoint:
    """A real agent for the consult turns of simulated calls, asked as the server asks it
    (``ConsultAgent``): a timeout or an error says the fallback line. Synchronous, on an
    event loop of its own; close it (or use it in a ``with``) when done."""

    def __init__(self, settings: AgentSettings) -> None:
        self.settings = settings
        self._loop = asyncio.Runner()
        self._agent = ConsultAgent(settings)

    def reply(self, consult: Consult, transcript: Sequence[TranscriptEntry]) -> AgentAnswer:
        return self._loop.run(self._agent.reply("simulated", consult, transcript))

    def close(self) -> None:
        try:
            self._loop.run(self._agent.aclose())
        finally:
            self._loop.close()

    def __enter__(self) -> AgentEndpoint:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _duration(action: Action) -> float:
    if isinstance(action, Speak):
        return len(action.text) / SPEECH_CHARS_PER_SECOND
    if isinstance(action, Pause):
        return float(action.seconds)
    if isinstance(action, Play):
        return AUDIO_SECONDS
    if isinstance(action, SendDigits):
        waits = sum(1 for char in action.digits if char in "wW")
        return 0.5 * waits + 0.1 * (len(action.digits) - waits)
    return 0.0


class _Simulation:
    def __init__(
        self,
        engine: FlowEngine,
        call: Call,
        script: Iterable[CallerAction],
        agent_replies: Iterable[SuppliedReply],
        agent: AgentEndpoint | None,
        clock: float,
    ) -> None:
        self.engine = engine
        self.call = call
        self.script = deque(script)
        self.replies = deque(agent_replies)
        self.agent = agent
        self.clock = clock
        #: Until when the caller keeps silent (a ``wait:N`` in the script).
        self.silent_until = clock
        self.ids = itertools.count(1)
        max_duration = engine.flow.max_duration
        self.deadline = None if max_duration is None else clock + RING_SECONDS + max_duration

    def send(self, event: AnyEvent) -> list[Action]:
        if self.deadline is not None and event.at > self.deadline:
            return self.engine.handle(self.call, Timer(id=self._id(), at=self.deadline, kind="max_duration"))
        return self.engine.handle(self.call, event)

    def _id(self) -> str:
        return f"e{next(self.ids)}"

    def run(self) -> None:
        self.send(Ringing(id=self._id(), at=self.clock))
        self.clock += RING_SECONDS
        actions = self.send(Answered(id=self._id(), at=self.clock))
        # The last actions are played out too: what the bot says before it hangs up.
        while actions:
            actions = self._carry_out(actions)
        if not self.call.ended:
            raise AssertionError(f"the engine stopped without waiting or ending in {self.call.step}")

    def _carry_out(self, actions: Sequence[Action]) -> list[Action]:
        """Play the actions out; the engine's answer to what the callee did, if anything."""
        started = self.clock
        for action in actions:
            if isinstance(action, Hangup) and self.call.record.ended_at is not None:
                # The engine ends the call when it decides to; the carrier hangs up only
                # after saying what the engine asked for first.
                self.call.record.ended_at += self.clock - started
            self.clock += _duration(action)
            if isinstance(action, Gather):
                return self._answer(action)
            if isinstance(action, Consult):
                answer = self._agent_answer(action)
                if answer is None:
                    self.clock += action.timeout
                    return self.send(AgentReply(id=self._id(), at=self.clock, text=None))
                self.clock += AGENT_REPLY_SECONDS
                return self.send(answer.event(id=self._id(), at=self.clock))
        return []

    def _agent_answer(self, consult: Consult) -> AgentAnswer | None:
        """The next supplied reply, else the real agent's; None: the agent does not answer."""
        if self.replies:
            supplied = self.replies.popleft()
            reply = ModelReply(content=supplied) if isinstance(supplied, str) else supplied
            return supplied_answer(reply, consult, self.call.id)
        if self.agent is not None:
            return self.agent.reply(consult, self.call.record.transcript)
        return None

    def _answer(self, gather: Gather) -> list[Action]:
        listening_since = self.clock
        times_out_at = listening_since + gather.timeout
        move, self.clock = self._next_move(listening_since, times_out_at)
        if isinstance(move, Silence):
            return self.send(
                NoInput(id=self._id(), at=self.clock, token=gather.token, listen_started_at=listening_since)
            )
        if isinstance(move, Press):
            return self.send(
                Digits(
                    id=self._id(),
                    at=self.clock,
                    digits=digits_reported(move.digits, gather.finish_on_key),
                    token=gather.token,
                    listen_started_at=listening_since,
                )
            )
        if isinstance(move, Say):
            return self.send(
                Speech(
                    id=self._id(),
                    at=self.clock,
                    text=move.text,
                    confidence=1.0,
                    token=gather.token,
                    listen_started_at=listening_since,
                )
            )
        return self.send(CallEnded(id=self._id(), at=self.clock, reason=EndReason.HANGUP_USER))

    def _next_move(self, listening_since: float, times_out_at: float) -> tuple[CallerAction, float]:
        """The caller's next move at a gather and when it comes.

        A move comes the caller's reaction time after the prompt, or as a wait ends
        (``wait:N``). A wait that outlasts the gather is silence until its timeout, and
        goes on through the gathers after it.
        """
        at = listening_since + CALLER_REACTION_SECONDS
        while self.silent_until < times_out_at:
            if self.silent_until > listening_since:
                at = self.silent_until
            move = self.script.popleft() if self.script else HangUp()
            if isinstance(move, Silence):
                return move, times_out_at
            if not isinstance(move, Wait):
                return move, at
            self.silent_until = max(listening_since, self.silent_until) + move.seconds
        return Silence(), times_out_at


def simulate(
    engine: FlowEngine,
    variables: Mapping[str, Data],
    script: Iterable[CallerAction] = (),
    agent_replies: Iterable[SuppliedReply] = (),
    *,
    agent: AgentEndpoint | None = None,
    call_id: str | None = None,
    start_time: float = 0.0,
) -> CallRecord:
    """Run one call of ``engine``'s flow to its end and return its record.

    ``agent_replies`` are the agent's replies to consult steps, in order (raw text, or a
    whole model reply with tool calls); ``agent`` answers those left over.

    Raises InputError when ``to`` does not render to an E.164 number: that is checked
    before any dialing, as on a real carrier.
    """
    flow = engine.flow
    call_id = call_id or new_call_id()
    if flow.to is not None:
        direction, caller, callee = Direction.OUTBOUND, None, _destination(flow, flow.to, variables)
    else:
        direction, caller, callee = Direction.INBOUND, SIMULATED_CALLER, None
    call = engine.new_call(
        call_id=call_id,
        variables=variables,
        now=start_time,
        provider="mock",
        direction=direction,
        from_number=caller,
        to_number=callee,
    )
    try:
        _Simulation(engine, call, script, agent_replies, agent, start_time).run()
        return call.synced_record()
    finally:
        engine.release(call)


def _destination(flow: Flow, to: Text, variables: Mapping[str, Data]) -> str:
    number = render_before_call(flow, "to", to, variables)
    problem = e164_problem(number)
    if problem is not None:
        raise InputError("to", f"'to' is '{number}': {problem}")
    return number
