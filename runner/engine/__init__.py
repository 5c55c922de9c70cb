"""The call engine: a compiled flow's state machine, driven by events, answering with actions."""

from __future__ import annotations

from runner.engine._call import Call
from runner.engine._engine import MAX_STEPS_PER_EVENT, FlowEngine, TemplateFailure, listen_action
from runner.engine._inputs import InputError, bind_inputs

__all__ = [
    "MAX_STEPS_PER_EVENT",
    "Call",
    "FlowEngine",
    "InputError",
    "TemplateFailure",
    "bind_inputs",
    "listen_action",
]
