"""What a consult step asks of the agent, and how the agent's call actions land on the call.

The agent only ever gets what the step offers: the tools it lists, the numbers of its
``transfer_to`` (rendered here, so the agent picks a name, never a number), and the
variables the flow sets. Its answer is checked against the same offer before it gets
here (``runner.agent``); the engine trusts it.
"""

from __future__ import annotations

import enum

from flows import Flow, FlowConsult, Step, Voice
from runner.engine._actions import render_text, send_digits, speak, transfer
from runner.engine._call import Call
from runner.types import (
    Action,
    AgentEndCall,
    AgentReply,
    AgentSendDigits,
    AgentSet,
    AgentTransfer,
    Consult,
    EndReason,
    Speaker,
)

#: Seconds a consult waits for a reply when neither the step nor an agent says how long.
DEFAULT_WAIT = 10.0


def settable_names(flow: Flow) -> tuple[str, ...]:
    """The variables the agent's ``set`` tool may give a value: those the flow's steps set."""
    names = {name for step in flow.steps.values() for name, _ in step.assignments}
    return tuple(sorted(names))


def consult_action(
    call: Call, step: Step, consult: FlowConsult, heard: str, settable: tuple[str, ...]
) -> Consult:
    """The question of ``step`` for the agent, with the caller's words ``heard`` ("" for silence)."""
    where = f"step '{step.id}' consult"
    offers_transfer = "transfer" in consult.tools
    return Consult(
        prompt=render_text(consult.prompt, call.context, f"{where}.prompt"),
        heard=heard,
        timeout=DEFAULT_WAIT if consult.timeout is None else consult.timeout,
        own_timeout=consult.timeout,
        tools=consult.tools,
        transfer_to=tuple(
            (name, render_text(number, call.context, f"{where}.transfer_to.{name}"))
            for name, number in consult.transfer_to
        )
        if offers_transfer
        else (),
        settable=settable if "set" in consult.tools else (),
        model=consult.model,
        system_prompt=consult.system_prompt,
        fallback=consult.fallback,
    )


def pending_consult(flow: Flow, call: Call, settable: tuple[str, ...]) -> Consult | None:
    """The question of a call waiting for the agent, made again; None when it waits for
    none. The caller's words are their last ones at the step ("" if none)."""
    if not call.awaiting_agent or call.step is None or call.ended:
        return None
    step = flow.steps[call.step]
    if step.consult is None:
        return None
    heard = next(
        (
            entry.text
            for entry in reversed(call.record.transcript)
            if entry.speaker is Speaker.CALLER and entry.step == step.id
        ),
        "",
    )
    return consult_action(call, step, step.consult, heard, settable)


class ReplyLeads(enum.Enum):
    """Where the agent's reply leads once carried out."""

    #: Hang up (end_call).
    END = "end"
    #: The caller is handed over (transfer): the call is done once that leg ends.
    HANDED_OVER = "handed-over"
    #: Leave the step for its next: the agent says the conversation is done.
    LEAVE = "leave"
    #: Hear the caller again (the step's turns permitting).
    LISTEN = "listen"


#: How the call ends where a reply leads to its end.
ENDS_WITH = {ReplyLeads.END: EndReason.HANGUP_BOT, ReplyLeads.HANDED_OVER: EndReason.COMPLETED}


def carry_out_reply(
    call: Call, step_id: str, voice: Voice, reply: AgentReply, actions: list[Action]
) -> ReplyLeads:
    """The agent's answer on the call: its ``set`` values first (so its words and the steps
    after see them), its words, its digits, then a hang-up or a transfer. No answer at
    all (none in time, from outside) leaves the step."""
    if reply.text is None and not reply.actions:
        return ReplyLeads.LEAVE
    for action in reply.actions:
        if isinstance(action, AgentSet):
            call.context[action.name] = action.value
    text = reply.text or ""
    call.context["consult"] = {"spoken": text}
    # "" is the agent choosing to say nothing this turn: the caller is heard again.
    if text:
        speak(call, voice, text, reply.at, actions, step_id, Speaker.AGENT)
    call.consult_turns += 1
    for action in reply.actions:
        if isinstance(action, AgentSendDigits):
            send_digits(call, action.digits, actions)
        elif isinstance(action, AgentEndCall):
            return ReplyLeads.END
        elif isinstance(action, AgentTransfer):
            # A person takes the call over: the bot does not come back when they hang up.
            transfer(call, action.to, actions)
            return ReplyLeads.HANDED_OVER
    return ReplyLeads.LEAVE if reply.done else ReplyLeads.LISTEN
