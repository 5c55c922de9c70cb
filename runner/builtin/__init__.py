"""Flows that come with callflow: the smoke test's call and the message calls placed
without a flow file (``callflow call --message``), which every server loads, and the
flow of inbound calls the agent answers, loaded when the config says so."""

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

#: The flow of inbound calls when the config says ``inbound: {agent: true}``: the agent talks
#: with the caller. Only such a server loads it; it has no 'to', so no one places it.
INBOUND_AGENT_FLOW = Path(__file__).resolve().parent / "inbound-agent.yaml"
INBOUND_AGENT_FLOW_NAME = "callflow-inbound-agent"

__all__ = [
    "BUILTIN_FLOWS",
    "DTMF_NEEDS_CONVERSATION",
    "INBOUND_AGENT_FLOW",
    "INBOUND_AGENT_FLOW_NAME",
    "MESSAGE_FLOW_FILES",
    "MESSAGE_MODES",
    "SMOKE_FLOW",
    "SMOKE_FLOW_NAME",
    "MessageCall",
    "MessageCallError",
    "message_call",
]
