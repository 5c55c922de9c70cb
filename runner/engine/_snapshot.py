"""A call's engine state as JSON-ready data, and back: calls outlive the process.

The server saves this with the call's record after every webhook, so a server that
is killed mid-call and started again carries on at the call's next webhook.
"""

from __future__ import annotations

from typing import Any

from runner.engine._call import Call
from runner.types import CallRecord

#: Event ids remembered per call for dropping repeats, the most recent ones: a carrier
#: retries recent requests only.
REMEMBERED_EVENTS = 64


def state_of(call: Call) -> dict[str, Any]:
    turn_index = None
    if call.turn is not None:
        turn_index = next(
            (index for index, turn in enumerate(call.record.turns) if turn is call.turn),
            None,
        )
    return {
        "lifecycle": call.lifecycle,
        "step": call.step,
        "retries_used": call.retries_used,
        "consult_turns": call.consult_turns,
        "awaiting_agent": call.awaiting_agent,
        "turn_token": call.turn_token,
        "turn_index": turn_index,
        "seen_events": list(call.seen_events)[-REMEMBERED_EVENTS:],
        "context": call.context,
        "last_event_at": call.last_event_at,
    }


def restore_call(record: CallRecord, state: dict[str, Any]) -> Call:
    """The Call of ``record`` as it was when ``state`` was taken (not yet on any machine)."""
    call = Call(record, dict(state["context"]))
    call.lifecycle = state["lifecycle"]
    call.step = state["step"]
    call.retries_used = int(state["retries_used"])
    call.consult_turns = int(state["consult_turns"])
    call.awaiting_agent = bool(state["awaiting_agent"])
    call.turn_token = state["turn_token"]
    index = state["turn_index"]
    call.turn = record.turns[index] if index is not None and index < len(record.turns) else None
    call.seen_events = dict.fromkeys(state["seen_events"])
    # Saved before the reaper timed calls by their last event: their start is the best there is.
    call.last_event_at = state.get("last_event_at", record.created_at)
    return call
