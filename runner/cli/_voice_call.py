"""The ``voice_call`` tool of ``callflow mcp``: its input schema, and each of its actions as a
request to the control API of the running server, through ``ControlClient``.

Nothing here speaks MCP: ``run_voice_call`` takes the tool's arguments and gives back what
the server answered, or raises ``VoiceCallError`` with the words the CLI uses for the same
failure (the server's own message, or the CLI's "no callflow server is running ...").
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runner.builtin import MESSAGE_MODES
from runner.cli._base import CommandError
from runner.cli._server_args import connected_client
from runner.client import ControlClient, ControlError, ServerUnreachable

TOOL_NAME = "voice_call"


class VoiceCallError(Exception):
    """A call of the tool that failed: bad arguments, no server, or the server's refusal."""


@dataclass(frozen=True)
class Field:
    """One argument of the tool: its JSON Schema, and the JSON type that schema asks for
    (checked here; what the value must be beyond its type, the server checks and words)."""

    schema: dict[str, Any]
    python_type: type | tuple[type, ...]
    kind: str

    def accepts(self, value: object) -> bool:
        # JSON true/false reach Python as bool, which is an int: not a number of seconds.
        return isinstance(value, self.python_type) and not isinstance(value, bool)


def _text(description: str, **schema: Any) -> Field:
    return Field({"type": "string", "description": description, **schema}, str, "text")


def _seconds(description: str) -> Field:
    schema = {"type": "number", "exclusiveMinimum": 0, "maximum": 600, "description": description}
    return Field(schema, (int, float), "a number of seconds")


FIELDS: dict[str, Field] = {
    "call_id": _text("The call's id, as initiate_call answered it (field 'id')."),
    "to": _text(
        "initiate_call: the number to call, in E.164 form (+14155550100). Needed with 'message'; "
        "with a 'flow', the flow's own 'to' when left out."
    ),
    "message": _text(
        "initiate_call: call without a flow file and say this text as written. In mode 'notify' the "
        "call then hangs up; in mode 'conversation' the caller's answers come to you to reply "
        "(continue_call, speak_to_user) or to the server's agent."
    ),
    "mode": _text("initiate_call with 'message': default 'notify'.", enum=list(MESSAGE_MODES)),
    "dtmf_sequence": _text(
        "initiate_call with 'message', mode 'conversation' only: digits (0-9 * # w W p P ,) sent as "
        "the call connects, to get through a bridge or a menu; w waits half a second."
    ),
    "flow": _text("initiate_call: the name of a flow the server loads, instead of a 'message'."),
    "vars": Field(
        {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "initiate_call with 'flow': the flow's inputs, as text.",
        },
        dict,
        "an object of text values",
    ),
    "inputs": Field(
        {
            "type": "array",
            "items": {"type": "string"},
            "description": "initiate_call on the mock carrier (rehearsals, tests): what the callee does "
            "in turn, as in 'callflow simulate --input': a key such as 1, say:TEXT, silence, wait:N, "
            "hangup. A real carrier's callee is a person, and this is ignored.",
        },
        list,
        "a list of text",
    ),
    "text": _text("speak_to_user, continue_call: what to say into the call."),
    "timeout": _seconds("continue_call: how long to wait for the caller's answer, default 30."),
    "digits": _text("send_dtmf: the digits to send, 0-9 * # w W p P , (w waits half a second)."),
    "wait": _seconds("get_status: wait up to this long for the call to end before answering."),
}


@dataclass(frozen=True)
class Action:
    summary: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    run: Callable[[ControlClient, dict[str, Any]], dict[str, Any]]
    #: What the fields must be together, checked before the server is asked.
    check: Callable[[dict[str, Any]], None] | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        return self.required + self.optional


def _check_initiate_call(arguments: dict[str, Any]) -> None:
    """A message call or a call of a flow, with the fields of the one it is."""
    if "message" in arguments:
        if "flow" in arguments or "vars" in arguments:
            extra = "flow" if "flow" in arguments else "vars"
            raise VoiceCallError(
                f"'{extra}' goes with a flow; a 'message' call takes 'to', 'mode' and 'dtmf_sequence'"
            )
        if "to" not in arguments:
            raise VoiceCallError("'to' is needed with 'message': the number to call")
        return
    if "flow" not in arguments:
        raise VoiceCallError(
            "initiate_call needs 'message' (the text to say, with 'to') or 'flow' (the name of a "
            "flow the server loads)"
        )
    given = [key for key in ("mode", "dtmf_sequence") if key in arguments]
    if given:
        raise VoiceCallError(f"'{given[0]}' goes with 'message'; a flow sets its own")


def _initiate_call(client: ControlClient, arguments: dict[str, Any]) -> dict[str, Any]:
    inputs = arguments.get("inputs", [])
    if "message" in arguments:
        return client.initiate_message(
            arguments["to"],
            arguments["message"],
            arguments.get("mode", "notify"),
            arguments.get("dtmf_sequence"),
            inputs=inputs,
        )
    return client.initiate(arguments["flow"], arguments.get("vars", {}), arguments.get("to"), inputs)


def _continue_call(client: ControlClient, arguments: dict[str, Any]) -> dict[str, Any]:
    return client.continue_call(arguments["call_id"], arguments["text"], arguments.get("timeout", 30.0))


def _speak_to_user(client: ControlClient, arguments: dict[str, Any]) -> dict[str, Any]:
    return client.speak(arguments["call_id"], arguments["text"])


def _send_dtmf(client: ControlClient, arguments: dict[str, Any]) -> dict[str, Any]:
    return client.dtmf(arguments["call_id"], arguments["digits"])


def _end_call(client: ControlClient, arguments: dict[str, Any]) -> dict[str, Any]:
    # As 'callflow end' does: the server answers the end of a call already over with its
    # record, which would read as a call just ended; it is a call steered after its end.
    call_id = arguments["call_id"]
    before = client.status(call_id)
    if before["end_reason"] is not None:
        raise VoiceCallError(f"call '{call_id}' cannot be steered: it has ended ({before['end_reason']})")
    return client.end(call_id)


def _get_status(client: ControlClient, arguments: dict[str, Any]) -> dict[str, Any]:
    if "wait" in arguments:
        client.wait(arguments["call_id"], arguments["wait"])
    return client.status(arguments["call_id"])


ACTIONS: dict[str, Action] = {
    "initiate_call": Action(
        "place a call: a 'message' to 'to' (with 'mode', 'dtmf_sequence'), or a 'flow' with its "
        "'vars'; answers the call's record, whose 'id' the other actions take",
        (),
        ("message", "to", "mode", "dtmf_sequence", "flow", "vars", "inputs"),
        _initiate_call,
        _check_initiate_call,
    ),
    "continue_call": Action(
        "say 'text' as your turn and answer what the caller says next ('heard', null when silent)",
        ("call_id", "text"),
        ("timeout",),
        _continue_call,
    ),
    "speak_to_user": Action("say 'text' into the call now", ("call_id", "text"), (), _speak_to_user),
    "send_dtmf": Action("send 'digits' into the call", ("call_id", "digits"), (), _send_dtmf),
    "end_call": Action("hang up the call; answers its record", ("call_id",), (), _end_call),
    "get_status": Action(
        "the call's record: 'lifecycle', 'end_reason' (null while live), 'transcript', and "
        "'waiting_for' ('agent' when a consult step waits for your reply, 'caller', or null)",
        ("call_id",),
        ("wait",),
        _get_status,
    ),
}

DESCRIPTION = (
    "Place and steer phone calls through the running callflow server. Choose an 'action':\n"
    + "\n".join(f"- {name}: {action.summary}." for name, action in ACTIONS.items())
    + "\nErrors come back as the server's or the callflow CLI's message."
)

INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {
            "type": "string",
            "enum": list(ACTIONS),
            "description": "What to do; each takes the fields named here: "
            + "; ".join(f"{name}: {', '.join(action.fields)}" for name, action in ACTIONS.items()),
        },
        **{name: field.schema for name, field in FIELDS.items()},
    },
    "required": ["action"],
    "additionalProperties": False,
}


def checked_arguments(arguments: dict[str, Any]) -> tuple[Action, dict[str, Any]]:
    """The action asked for and its fields, once each is there and of its type; a field
    given as null counts as left out (models often fill every field they see)."""
    given = {key: value for key, value in arguments.items() if value is not None}
    name = given.pop("action", None)
    names = ", ".join(ACTIONS)
    if name is None:
        raise VoiceCallError(f"'action' is missing: one of {names}")
    if not isinstance(name, str) or name not in ACTIONS:
        raise VoiceCallError(f"unknown action '{name}': the actions are {names}")
    action = ACTIONS[name]
    for key, value in given.items():
        if key not in FIELDS:
            raise VoiceCallError(f"unknown field '{key}': {name} takes {_listed(action.fields)}")
        if key not in action.fields:
            raise VoiceCallError(f"'{key}' does not go with {name}, which takes {_listed(action.fields)}")
        if not FIELDS[key].accepts(value):
            raise VoiceCallError(f"'{key}' must be {FIELDS[key].kind}")
    for key in action.required:
        if key not in given:
            raise VoiceCallError(f"'{key}' is missing: {name} needs {_listed(action.required)}")
    if action.check is not None:
        action.check(given)
    return action, given


def _listed(fields: tuple[str, ...]) -> str:
    return ", ".join(f"'{field}'" for field in fields)


def run_voice_call(args: argparse.Namespace, arguments: dict[str, Any]) -> dict[str, Any]:
    """Do what ``arguments`` ask through the server of the config in ``args``; what it
    answered. Blocks while the server waits (continue_call, get_status with 'wait')."""
    action, given = checked_arguments(arguments)
    try:
        with connected_client(args) as client:
            return action.run(client, given)
    except (CommandError, ControlError, ServerUnreachable) as error:
        raise VoiceCallError(str(error)) from None
