"""The call lifecycle as one ``transitions`` machine shared by every call.

    initiated -> ringing -> answered -> speaking <-> listening
        any state that is not final -> one of the end reasons (final)

It only moves forward: there is no trigger back to an earlier state, and an end
reason has no way out. Calls are models of this one machine, never machines of their
own; a call's lifecycle state is its ``lifecycle`` attribute.
"""

from __future__ import annotations

from typing import Any

from runner.engine._machine import BareMachine
from runner.types import EndReason, Lifecycle

_NOT_FINAL = [state.value for state in Lifecycle]

#: The machine as ``transitions`` takes it.
MACHINE_CONFIG: dict[str, Any] = {
    "states": [*_NOT_FINAL, *(reason.value for reason in EndReason)],
    "initial": Lifecycle.INITIATED.value,
    "transitions": [
        {"trigger": "ring", "source": Lifecycle.INITIATED.value, "dest": Lifecycle.RINGING.value},
        {
            "trigger": "answer",
            "source": [Lifecycle.INITIATED.value, Lifecycle.RINGING.value],
            "dest": Lifecycle.ANSWERED.value,
        },
        {
            "trigger": "speak",
            "source": [Lifecycle.ANSWERED.value, Lifecycle.LISTENING.value],
            "dest": Lifecycle.SPEAKING.value,
        },
        {"trigger": "listen", "source": Lifecycle.SPEAKING.value, "dest": Lifecycle.LISTENING.value},
        *(
            {"trigger": f"end:{reason.value}", "source": _NOT_FINAL, "dest": reason.value}
            for reason in EndReason
        ),
    ],
    "model_attribute": "lifecycle",
}

_MACHINE = BareMachine(**MACHINE_CONFIG)


def attach(call: Any, state: str = Lifecycle.INITIATED.value) -> None:
    _MACHINE.add_model(call, initial=state)


def detach(call: Any) -> None:
    _MACHINE.remove_model(call)


def fire(call: Any, trigger: str) -> bool:
    """Move ``call`` by ``trigger``; False (and no change) where the move is not allowed."""
    event = _MACHINE.events[trigger]
    # Asked first: the library refuses a move from a state without one by raising.
    if not event.transitions.get(call.lifecycle):
        return False
    return bool(event.trigger(call))


def end_trigger(reason: EndReason) -> str:
    return f"end:{reason.value}"
