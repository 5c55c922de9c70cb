"""The call actions a consult step offers the agent, as function-calling tools, and the
check of what the agent asks for against that offer.

Only what the step lists is offered, and a call is taken only when it fits the offer: a
tool the step does not list, digits that are not DTMF, a transfer to a name the step
does not know, a variable the flow does not set. Anything else is refused, logged, and
answered to the model as refused; it never reaches the call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runner.agent._reply import ToolCall, ToolSpec
from runner.types import AgentAction, AgentEndCall, AgentSendDigits, AgentSet, AgentTransfer, Consult

_DTMF = re.compile(r"[0-9*#wWpP,]{1,64}")
#: A value the agent sets is data for the flow's texts: kept short.
MAX_VALUE_CHARS = 500


def tool_specs(consult: Consult) -> tuple[ToolSpec, ...]:
    """The tools the step offers, described for the model."""
    specs: list[ToolSpec] = []
    for name in consult.tools:
        if name == "end_call":
            specs.append(ToolSpec("end_call", "Hang up the call once your words are said."))
        elif name == "send_dtmf":
            specs.append(_send_dtmf_spec())
        elif name == "transfer" and consult.transfer_to:
            specs.append(_transfer_spec(consult))
        elif name == "set" and consult.settable:
            specs.append(_set_spec(consult))
    return tuple(specs)


def _send_dtmf_spec() -> ToolSpec:
    digits = {
        "type": "string",
        "description": "Digits 0-9, * and #; w waits half a second.",
        "pattern": _DTMF.pattern,
    }
    return ToolSpec(
        "send_dtmf",
        "Send touch-tone digits into the call, to get through a phone menu or a bridge.",
        {"type": "object", "properties": {"digits": digits}, "required": ["digits"]},
    )


def _transfer_spec(consult: Consult) -> ToolSpec:
    names = [name for name, _ in consult.transfer_to]
    to = {"type": "string", "enum": names, "description": "Who to connect the caller to."}
    return ToolSpec(
        "transfer",
        f"Connect the caller to one of: {', '.join(names)}. Your words are said first.",
        {"type": "object", "properties": {"to": to}, "required": ["to"]},
    )


def _set_spec(consult: Consult) -> ToolSpec:
    name = {"type": "string", "enum": list(consult.settable)}
    value = {"type": "string", "description": "The value to keep."}
    return ToolSpec(
        "set",
        "Keep a value in one of the call's variables, for the rest of the call.",
        {"type": "object", "properties": {"name": name, "value": value}, "required": ["name", "value"]},
    )


@dataclass(frozen=True)
class CheckedCalls:
    """The agent's tool calls, checked: the actions taken, and why each other one was refused."""

    actions: tuple[AgentAction, ...] = ()
    #: (the call, why it was refused), in the order asked.
    refused: tuple[tuple[ToolCall, str], ...] = ()
    #: (the call, what came of it), for answering the model.
    results: tuple[tuple[ToolCall, str], ...] = ()


def ends_turn(actions: Sequence[AgentAction]) -> bool:
    """Whether an action leaves the conversation (a hang-up or a transfer)."""
    return any(isinstance(action, AgentEndCall | AgentTransfer) for action in actions)


def check_calls(calls: Sequence[ToolCall], consult: Consult) -> CheckedCalls:
    """Each of ``calls`` as an action, or refused; at most one hang-up or transfer is taken."""
    actions: list[AgentAction] = []
    refused: list[tuple[ToolCall, str]] = []
    results: list[tuple[ToolCall, str]] = []
    for call in calls:
        outcome = _action_of(call, consult)
        if isinstance(outcome, str):
            refused.append((call, outcome))
            results.append((call, f"refused: {outcome}"))
            continue
        if ends_turn([outcome]) and ends_turn(actions):
            why = "the call already ends or is transferred by an earlier call"
            refused.append((call, why))
            results.append((call, f"refused: {why}"))
            continue
        actions.append(outcome)
        results.append((call, "done"))
    return CheckedCalls(tuple(actions), tuple(refused), tuple(results))


def _action_of(call: ToolCall, consult: Consult) -> AgentAction | str:
    """The action ``call`` asks for, or why it is refused."""
    if call.name not in consult.tools:
        offered = ", ".join(consult.tools) or "none"
        return f"tool {call.name!r} is not offered in this step (offered: {offered})"
    arguments = call.arguments
    if call.name == "end_call":
        return AgentEndCall()
    if call.name == "send_dtmf":
        digits = arguments.get("digits")
        if not isinstance(digits, str) or not _DTMF.fullmatch(digits):
            return f"send_dtmf needs digits of 0-9 * # w (at most 64), got {_shown(digits)}"
        return AgentSendDigits(digits)
    if call.name == "transfer":
        numbers = dict(consult.transfer_to)
        to = arguments.get("to")
        if not isinstance(to, str) or to not in numbers:
            return f"transfer needs 'to' to be one of {', '.join(numbers) or 'none'}, got {_shown(to)}"
        return AgentTransfer(numbers[to])
    return _set_action(arguments, consult)


def _set_action(arguments: Any, consult: Consult) -> AgentAction | str:
    name, value = arguments.get("name"), arguments.get("value")
    if not isinstance(name, str) or name not in consult.settable:
        return f"set needs 'name' to be one of {', '.join(consult.settable) or 'none'}, got {_shown(name)}"
    if isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= MAX_VALUE_CHARS):
        return AgentSet(name, value)
    return f"set needs a text 'value' of at most {MAX_VALUE_CHARS} characters, got {_shown(value)}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
