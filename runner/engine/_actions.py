"""What a call's steps ask of the carrier, each written into the call's record as it is asked.

Speech goes into the transcript, sent digits into ``digits_sent``, transfers into
``transfers``, a turn that listens into ``turns``. The texts are the flow's, rendered
from the call's variables: a template that fails raises TemplateFailure, which ends
that call and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows import Step, Text, Voice
from runner.engine import _lifecycle as lifecycle
from runner.engine._call import Call
from runner.types import (
    Action,
    Gather,
    Pause,
    Play,
    SendDigits,
    Speak,
    Speaker,
    TranscriptEntry,
    Transfer,
    Turn,
)


class TemplateFailure(Exception):
    """A template failed at call time; the call ends with reason ``error``."""


def render_text(text: Text, context: Mapping[str, Any], where: str) -> str:
    """``text`` rendered with ``context``; ``where`` names the text in the failure's message."""
    try:
        return text.render(context)
    except Exception as error:
        # Template expressions are the author's code: they can raise any Python error
        # (an undefined name, a sandbox refusal, a division by zero). Each one ends
        # this call, never the process.
        raise TemplateFailure(f"template error in {where}: {error}") from None


def speak(
    call: Call,
    voice: Voice,
    text: str,
    now: float,
    actions: list[Action],
    step_id: str | None = None,
    speaker: Speaker = Speaker.BOT,
) -> None:
    actions.append(Speak(text, voice.name, voice.language, step_id))
    call.record.transcript.append(TranscriptEntry(speaker, text, now, step_id))


def send_digits(call: Call, digits: str, actions: list[Action]) -> None:
    actions.append(SendDigits(digits))
    call.record.digits_sent.append(digits)


def transfer(call: Call, to: str, actions: list[Action]) -> None:
    actions.append(Transfer(to))
    call.record.transfers.append(to)


def assign(call: Call, step: Step) -> None:
    """A step's ``set``, in order: a text is rendered (and may use the values set before it)."""
    for name, value in step.assignments:
        where = f"step '{step.id}' set.{name}"
        call.context[name] = render_text(value, call.context, where) if isinstance(value, Text) else value


def prompt(call: Call, step: Step, voice: Voice, now: float, actions: list[Action]) -> None:
    """What a step says, plays and pauses before it does anything else."""
    for text in step.say:
        speak(call, voice, render_text(text, call.context, f"step '{step.id}' say"), now, actions, step.id)
    for url in step.play:
        actions.append(Play(render_text(url, call.context, f"step '{step.id}' play")))
    if step.pause is not None:
        actions.append(Pause(step.pause))


def open_turn(call: Call, step: Step, token: str, now: float, actions: list[Action]) -> None:
    """Listen for the caller at ``step``: a Gather under ``token``, and the lifecycle to listening."""
    call.turn_token = token
    call.turn = Turn(step.id, now, now)
    call.record.turns.append(call.turn)
    actions.append(listen_action(step, token))
    lifecycle.fire(call, "listen")


def listen_action(step: Step, token: str) -> Gather:
    """What a step that waits for the caller asks the carrier, under the turn's ``token``."""
    gather = step.gather
    if gather is not None:
        return Gather(gather.input, gather.timeout, token, gather.digits, gather.finish_on_key, gather.hints)
    # A consult turn listens for speech as long as its ``listen`` says; its ``timeout``
    # is the wait for the agent's reply, not the caller's.
    listen = step.consult.listen if step.consult is not None else 5.0
    return Gather(("speech",), listen, token, finish_on_key="")
