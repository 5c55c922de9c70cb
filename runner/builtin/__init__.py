"""Flows that come with callflow, loaded by every server: the smoke test's call, and the
message calls placed without a flow file (``callflow call --message``)."""

from __future__ import annotations

from pathlib import Path

from runner.builtin._message import (
    DTMF_NEEDS_CONVERSATION,
    MESSAGE_FLOW_FILES,
    MESSAGE_MODES,
    MessageCall,
    MessageCallError,
    message_call,
)

#: The short notify call of 'callflow smoke --yes'; every server loads it.
SMOKE_FLOW = Path(__file__).resolve().parent / "smoke.yaml"
SMOKE_FLOW_NAME = "callflow-smoke-test"

#: Every built-in flow's file: every server loads them all.
BUILTIN_FLOWS = (SMOKE_FLOW, *MESSAGE_FLOW_FILES.values())

__all__ = [
    "BUILTIN_FLOWS",
    "DTMF_NEEDS_CONVERSATION",
    "MESSAGE_FLOW_FILES",
    "MESSAGE_MODES",
    "SMOKE_FLOW",
    "SMOKE_FLOW_NAME",
    "MessageCall",
    "MessageCallError",
    "message_call",
]
