"""The call engine: a compiled flow's state machine, driven by events, answering with actions."""

from __future__ import annotations

from runner.engine._actions import TemplateFailure, listen_action, render_text
from runner.engine._call import Call
from runner.engine._engine import MAX_STEPS_PER_EVENT, FlowEngine
from runner.engine._inputs import InputError, bind_inputs, render_before_call
from runner.engine._lifecycle import MACHINE_CONFIG as LIFECYCLE_MACHINE_CONFIG
from runner.engine._machine import BareMachine

__all__ = [
    "LIFECYCLE_MACHINE_CONFIG",
    "MAX_STEPS_PER_EVENT",
    "BareMachine",
    "Call",
    "FlowEngine",
    "InputError",
    "TemplateFailure",
    "bind_inputs",
    "listen_action",
    "render_before_call",
    "render_text",
]
