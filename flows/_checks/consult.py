"""Consult steps: the keywords that end the conversation, and the call actions offered
to the agent as tools."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flows._checks.values import ON_KEY
from flows._document import Data, NodePath
from flows._problems import Problem, Severity
from flows._view import RESERVED_ON_KEYS, FlowView, StepView, as_dict

CONSULT_TOOLS = "consult-tools"
RULES = (CONSULT_TOOLS,)

_WORD = re.compile(r"\w+")
_DTMF_KEY = re.compile(r"[0-9*#]+")


def check_consults(flow: FlowView) -> Iterator[Problem]:
    set_anywhere = any(as_dict(step.body.get("set")) for step in flow.steps)
    for step in flow.steps:
        consult = step.body.get("consult")
        if not isinstance(consult, dict):
            continue
        yield from _keywords(flow, step)
        yield from _tools(flow, step, consult, set_anywhere)


def _problem(flow: FlowView, path: NodePath, rule: str, message: str, severity: Severity) -> Problem:
    return Problem(flow.document.file, flow.document.key_mark(path), severity, rule, message)


def _keywords(flow: FlowView, step: StepView) -> Iterator[Problem]:
    """A consult step hears speech only, and leaves by its keywords, max_turns or the agent."""
    for key in step.on:
        path = step.at("on", key)
        if key in RESERVED_ON_KEYS:
            yield _problem(
                flow,
                path,
                ON_KEY,
                f"key '{key}' routes a gather's answers, but step '{step.id}' consults the agent: "
                "only speech keywords end its conversation (else max_turns or the agent do, "
                "then next or hangup)",
                Severity.ERROR,
            )
        elif _DTMF_KEY.fullmatch(key):
            yield _problem(
                flow,
                path,
                ON_KEY,
                f"key '{key}' is DTMF, but step '{step.id}' consults the agent, which hears speech "
                "only; use a speech keyword, or a gather step for keys",
                Severity.ERROR,
            )
        elif not _WORD.search(key):
            yield _problem(
                flow, path, ON_KEY, f"expected speech words as a key of 'on', found '{key}'", Severity.ERROR
            )


def _tools(flow: FlowView, step: StepView, consult: dict[str, Data], set_anywhere: bool) -> Iterator[Problem]:
    tools = consult.get("tools")
    offered = {tool for tool in tools if isinstance(tool, str)} if isinstance(tools, list) else set()
    has_targets = isinstance(consult.get("transfer_to"), dict)
    if "transfer" in offered and not has_targets:
        yield _problem(
            flow,
            step.at("consult", "tools"),
            CONSULT_TOOLS,
            f"step '{step.id}' offers the agent 'transfer' but names no transfer_to: add the numbers "
            "it may connect the caller to (transfer_to: {sales: '+14155550100'})",
            Severity.ERROR,
        )
    if has_targets and "transfer" not in offered:
        yield _problem(
            flow,
            step.at("consult", "transfer_to"),
            CONSULT_TOOLS,
            f"step '{step.id}' names transfer_to, but its tools do not list 'transfer': the agent "
            "cannot use them",
            Severity.WARNING,
        )
    if "set" in offered and not set_anywhere:
        yield _problem(
            flow,
            step.at("consult", "tools"),
            CONSULT_TOOLS,
            f"step '{step.id}' offers the agent 'set', but no step sets a variable: the agent may "
            "only give values to variables the flow sets (add them with set: on an earlier step)",
            Severity.ERROR,
        )
