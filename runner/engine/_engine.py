"""The engine: events in, actions out, for every call of one compiled flow.

It knows no transport. A simulator, the webhook server or a media stream feeds it
events (answered, digits, speech, silence, the agent's reply, the carrier's end) and
carries out the actions it returns (speak, gather, consult, hang up, ...).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

from flows import Data, Flow, FlowConsult, Step, Text
from runner.engine import _lifecycle as lifecycle
from runner.engine._actions import (
    TemplateFailure,
    assign,
    open_turn,
    prompt,
    render_text,
    send_digits,
    speak,
    transfer,
)
from runner.engine._call import Call
from runner.engine._consult import (
    ENDS_WITH,
    ReplyLeads,
    carry_out_reply,
    consult_action,
    pending_consult,
    settable_names,
)
from runner.engine._machine import BareMachine
from runner.engine._matching import answer_of, gather_of, match_digits, match_speech, takes_answers
from runner.engine._snapshot import restore_call, state_of
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
    Digits,
    Direction,
    EndReason,
    Hangup,
    InputEventBase,
    Lifecycle,
    Ringing,
    Speaker,
    Speech,
    Timer,
    TranscriptEntry,
    Turn,
)

#: Steps entered while handling one event before the engine calls it a runaway loop.
#: The linter already refuses loops that never wait; this guards the engine itself.
MAX_STEPS_PER_EVENT = 1000


class FlowEngine:
    """Runs the calls of one flow. Build it once per compiled flow and share it."""

    def __init__(self, flow: Flow, new_token: Callable[[], str] = lambda: secrets.token_urlsafe(9)) -> None:
        self.flow = flow
        self._new_token = new_token
        self._steps = BareMachine(**flow.machine_config(), model_attribute="step")
        self._settable = settable_names(flow)

    # -- calls -------------------------------------------------------------------

    def new_call(
        self,
        *,
        call_id: str,
        variables: Mapping[str, Data],
        now: float,
        provider: str = "mock",
        direction: Direction = Direction.OUTBOUND,
        from_number: str | None = None,
        to_number: str | None = None,
    ) -> Call:
        """A call in state ``initiated``, its inputs bound to ``variables``."""
        record = CallRecord(
            id=call_id,
            flow=self.flow.name,
            provider=provider,
            direction=direction,
            from_number=from_number,
            to_number=to_number,
            created_at=now,
        )
        context: dict[str, Any] = dict(variables)
        context["call"] = {"id": call_id, "from": from_number, "to": to_number, "direction": direction.value}
        context["last"] = {"digits": "", "speech": ""}
        context["consult"] = {"spoken": ""}
        call = Call(record, context)
        lifecycle.attach(call)
        self._steps.add_model(call)
        return call

    def restore(self, record: CallRecord, state: dict[str, Any]) -> Call:
        """Bring back a call saved with ``snapshot``: on this engine's machines, in its states."""
        call = restore_call(record, state)
        lifecycle.attach(call, call.lifecycle)
        self._steps.add_model(call, initial=call.step)
        return call

    @staticmethod
    def snapshot(call: Call) -> dict[str, Any]:
        """The call's engine state as JSON-ready data, for ``restore``."""
        return state_of(call)

    def release(self, call: Call) -> None:
        """Forget a call (ended, or handed to the store); its record stays valid."""
        lifecycle.detach(call)
        self._steps.remove_model(call)

    def render(self, text: Text, call: Call) -> str:
        """Render one of the flow's texts for ``call``; raises TemplateFailure."""
        return render_text(text, call.context, "text")

    def preview(self, call: Call, step_id: str, now: float) -> list[Action]:
        """Answer ``call`` straight into ``step_id``: what the carrier gets at that step.

        For looking at one step (``callflow render --step``); the greeting and the steps
        before it are skipped, so variables they would set are not there.
        """
        actions: list[Action] = []
        if step_id not in self.flow.steps:
            raise KeyError(step_id)
        lifecycle.fire(call, "answer")
        lifecycle.fire(call, "speak")
        try:
            self._run_from(call, step_id, now, actions, jump=True)
        except TemplateFailure as failure:
            call.record.error = str(failure)
            self._end(call, EndReason.ERROR, now, actions)
        return actions

    # -- events ------------------------------------------------------------------

    def handle(self, call: Call, event: AnyEvent) -> list[Action]:
        """Apply one event to a call and return what the carrier must do next.

        A second delivery of an event id, an event the call is not waiting for, and
        any event after the end change nothing and return no actions.
        """
        if event.id in call.seen_events or call.ended:
            return []
        call.seen_events[event.id] = None
        call.last_event_at = event.at
        actions: list[Action] = []
        try:
            self._dispatch(call, event, actions)
        except TemplateFailure as failure:
            call.record.error = str(failure)
            self._end(call, EndReason.ERROR, event.at, actions)
        return actions

    def _dispatch(self, call: Call, event: AnyEvent, actions: list[Action]) -> None:
        if isinstance(event, Ringing):
            if lifecycle.fire(call, "ring"):
                call.record.ringing_at = event.at
        elif isinstance(event, Answered):
            self._answered(call, event, actions)
        elif isinstance(event, InputEventBase):
            self._input(call, event, actions)
        elif isinstance(event, AgentReply):
            self._agent_reply(call, event, actions)
        elif isinstance(event, CallEnded):
            self._end(call, event.reason, event.at, actions, hang_up=False)
        elif isinstance(event, Timer) and event.kind == "max_duration":
            self._end(call, EndReason.TIMEOUT, event.at, actions)
        elif isinstance(event, ControlSpeak | ControlDigits | ControlEnd):
            self._control(call, event, actions)

    def _control(
        self, call: Call, event: ControlSpeak | ControlDigits | ControlEnd, actions: list[Action]
    ) -> None:
        if call.record.answered_at is None:
            return  # nothing can be said into a call that is not connected
        if isinstance(event, ControlEnd):
            self._end(call, EndReason.HANGUP_BOT, event.at, actions)
            return
        if isinstance(event, ControlSpeak) and call.awaiting_agent:
            self._agent_reply(call, AgentReply(id=event.id, at=event.at, text=event.text), actions)
            return
        if call.lifecycle == Lifecycle.LISTENING:
            lifecycle.fire(call, "speak")
        if isinstance(event, ControlSpeak):
            speak(call, self.flow.voice, event.text, event.at, actions, call.step, Speaker.AGENT)
        else:
            send_digits(call, event.digits, actions)
        if call.turn is not None and not call.awaiting_agent:
            self._reopen_turn(call, call.turn, actions)

    def _reopen_turn(self, call: Call, turn: Turn, actions: list[Action]) -> None:
        """Listen again for ``turn``, the one that was open, under a new token; no re-prompt."""
        step = self.flow.steps[turn.step]
        self._listen(call, step, turn.started_at, actions)
        # _listen opened a new turn; the caller is still answering the same one.
        call.record.turns.pop()
        call.turn = turn

    def _answered(self, call: Call, event: Answered, actions: list[Action]) -> None:
        if not lifecycle.fire(call, "answer"):
            return
        call.record.answered_at = event.at
        call.record.answered_by = event.answered_by
        leave_message = self.flow.machine is not None and self.flow.machine.on_machine == "leave_message"
        if event.machine and not leave_message:
            self._end(call, EndReason.VOICEMAIL, event.at, actions)
            return
        lifecycle.fire(call, "speak")
        flow = self.flow
        if flow.dtmf_sequence is not None:
            send_digits(call, render_text(flow.dtmf_sequence, call.context, "dtmf_sequence"), actions)
        if event.greeting:
            speak(call, flow.voice, event.greeting, event.at, actions)
        if flow.greeting is not None:
            speak(call, flow.voice, render_text(flow.greeting, call.context, "greeting"), event.at, actions)
        if flow.start is None:
            self._end(call, EndReason.COMPLETED, event.at, actions)
        else:
            self._run_from(call, flow.start, event.at, actions)

    # -- steps -------------------------------------------------------------------

    def _run_from(
        self, call: Call, step_id: str | None, now: float, actions: list[Action], *, jump: bool = False
    ) -> None:
        """Enter ``step_id`` and keep going until a step waits or the call ends.

        ``jump`` enters the first step whether or not a transition leads there.
        """
        for _ in range(MAX_STEPS_PER_EVENT):
            if step_id is None:
                return
            step = self.flow.steps[step_id]
            if jump:
                self._steps.set_state(step_id, model=call)
                jump = False
            else:
                self._steps.events[f"to:{step_id}"].trigger(call)
            call.record.path.append(step_id)
            call.retries_used = 0
            step_id = self._run_step(call, step, now, actions)
        call.record.error = f"more than {MAX_STEPS_PER_EVENT} steps without waiting for the caller"
        self._end(call, EndReason.ERROR, now, actions)

    def _run_step(self, call: Call, step: Step, now: float, actions: list[Action]) -> str | None:
        """Do a step's parts; the id of the step to enter next, or None to stop here."""
        assign(call, step)
        prompt(call, step, self.flow.voice, now, actions)
        if step.send_digits is not None:
            digits = render_text(step.send_digits, call.context, f"step '{step.id}' send_digits")
            send_digits(call, digits, actions)
        if step.gather is not None:
            self._listen(call, step, now, actions)
            return None
        if step.consult is not None:
            call.consult_turns = 0
            self._listen(call, step, now, actions)
            return None
        if step.transfer is not None:
            transfer(call, render_text(step.transfer, call.context, f"step '{step.id}' transfer"), actions)
        return self._after(call, step, now, actions)

    def _after(self, call: Call, step: Step, now: float, actions: list[Action]) -> str | None:
        """Where a step that is done leads: its next step, or the end of the call."""
        if step.next is not None:
            return step.next
        reason = EndReason.HANGUP_BOT if step.hangup else EndReason.COMPLETED
        self._end(call, reason, now, actions)
        return None

    def _listen(self, call: Call, step: Step, now: float, actions: list[Action]) -> None:
        open_turn(call, step, self._new_token(), now, actions)

    # -- the caller's answers ------------------------------------------------------

    def _input(self, call: Call, event: InputEventBase, actions: list[Action]) -> None:
        turn = call.turn
        if turn is None or call.lifecycle != Lifecycle.LISTENING or call.awaiting_agent:
            return
        if event.token is not None and event.token != call.turn_token:
            return  # an answer to a turn that is over
        step = self.flow.steps[turn.step]
        kind, text = answer_of(event, step)
        turn.input_at = event.at
        turn.input = kind
        if event.listen_started_at is not None:
            turn.listen_started_at = event.listen_started_at
        call.turn = None
        call.turn_token = None
        lifecycle.fire(call, "speak")
        if text:
            confidence = event.confidence if isinstance(event, Speech) else None
            call.record.transcript.append(
                TranscriptEntry(Speaker.CALLER, text, event.at, step.id, confidence)
            )
        if step.consult is not None:
            self._consult_input(call, step, step.consult, text if kind == "speech" else "", event.at, actions)
            return
        if kind == "no_input":
            self._failed(call, step, "no_input", event.at, actions)
            return
        last = call.context["last"]
        if isinstance(event, Digits):
            last["digits"] = event.digits
        elif isinstance(event, Speech):
            last["speech"] = event.text
        if not takes_answers(step):
            self._run_from(call, self._after(call, step, event.at, actions), event.at, actions)
            return
        if isinstance(event, Digits):
            route = match_digits(step, event.digits, gather_of(step).finish_on_key)
        else:
            route = match_speech(step, text)
        if route is None:
            self._failed(call, step, "no_match", event.at, actions)
        else:
            self._run_from(call, route.target, event.at, actions)

    def _failed(self, call: Call, step: Step, failure: str, now: float, actions: list[Action]) -> None:
        """A try that brought no usable answer: re-prompt, or take the failure route."""
        if call.retries_used < gather_of(step).retries:
            call.retries_used += 1
            prompt(call, step, self.flow.voice, now, actions)
            self._listen(call, step, now, actions)
            return
        route = step.route(failure)
        if route is None:
            self._end(call, EndReason.HANGUP_BOT, now, actions)
        else:
            self._run_from(call, route.target, now, actions)

    # -- consult -------------------------------------------------------------------

    def _consult_input(
        self, call: Call, step: Step, consult: FlowConsult, heard: str, now: float, actions: list[Action]
    ) -> None:
        """The caller's words (or silence, "") at a consult step: a keyword of ``on`` ends
        the conversation there; anything else, silence too, goes to the agent, which may
        answer or re-prompt."""
        route = match_speech(step, heard) if heard and step.routes else None
        if route is not None:
            call.context["last"]["speech"] = heard
            self._run_from(call, route.target, now, actions)
            return
        call.awaiting_agent = True
        lifecycle.fire(call, "listen")
        actions.append(consult_action(call, step, consult, heard, self._settable))

    def pending_consult(self, call: Call) -> Consult | None:
        """What a call waiting for the agent asks it, made again; None when it waits for none."""
        return pending_consult(self.flow, call, self._settable)

    def _agent_reply(self, call: Call, event: AgentReply, actions: list[Action]) -> None:
        if not call.awaiting_agent or call.step is None:
            return
        step = self.flow.steps[call.step]
        consult = step.consult
        if consult is None:
            raise RuntimeError(f"call {call.id} waits for an agent at step '{step.id}', which has no consult")
        call.awaiting_agent = False
        lifecycle.fire(call, "speak")
        now = event.at
        then = carry_out_reply(call, step.id, self.flow.voice, event, actions)
        if then in ENDS_WITH:
            self._end(call, ENDS_WITH[then], now, actions)
        elif then is ReplyLeads.LISTEN and call.consult_turns < consult.max_turns:
            self._listen(call, step, now, actions)
        else:
            self._run_from(call, self._after(call, step, now, actions), now, actions)

    # -- the end -------------------------------------------------------------------

    def _end(
        self, call: Call, reason: EndReason, now: float, actions: list[Action], *, hang_up: bool = True
    ) -> None:
        if call.ended:
            return
        lifecycle.fire(call, lifecycle.end_trigger(reason))
        self._steps.events["end"].trigger(call)
        call.record.end_reason = reason
        call.record.ended_at = now
        call.turn = None
        call.turn_token = None
        call.awaiting_agent = False
        if hang_up:
            actions.append(Hangup(reason))
