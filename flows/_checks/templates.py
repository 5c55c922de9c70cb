"""Templates: they parse, and every name they use is defined."""

from __future__ import annotations

import re
from collections.abc import Iterator

from jinja2 import TemplateSyntaxError, meta, nodes

from flows._checks._view import FlowView, StepView
from flows._document import Document, NodePath
from flows._problems import Mark, Problem, Severity
from flows._suggest import did_you_mean
from flows._templates import BUILTINS, environment, template_fields

TEMPLATE_SYNTAX = "template-syntax"
UNDEFINED_NAME = "undefined-name"
RESERVED_NAME = "reserved-name"
RULES = (TEMPLATE_SYNTAX, UNDEFINED_NAME, RESERVED_NAME)


def check_templates(flow: FlowView) -> Iterator[Problem]:
    document = flow.document
    yield from _reserved_names(flow)
    always = set(flow.inputs) | set(BUILTINS) | set(environment().globals)
    set_anywhere = _set_names(flow)
    assigned = _assigned_on_entry(flow)
    for path, text in template_fields(document.data):
        defined = always | _assigned_at(flow, assigned, path)
        try:
            tree = environment().parse(text)
            environment().compile(tree)
        except TemplateSyntaxError as error:
            yield Problem(
                document.file,
                _locate(document, path, error.lineno),
                Severity.ERROR,
                TEMPLATE_SYNTAX,
                f"template error: {error.message or 'invalid template'}",
            )
            continue
        for name in sorted(meta.find_undeclared_variables(tree) - defined):
            if name in set_anywhere:
                why = f"'{name}' is not set on every way to here; set it in an earlier step"
            else:
                why = (
                    f"'{name}' is not defined{did_you_mean(name, defined | set_anywhere)} "
                    "(templates see the inputs, set variables, call, last and consult)"
                )
            yield Problem(
                document.file,
                _locate(document, path, _first_line_of(tree, name), name),
                Severity.ERROR,
                UNDEFINED_NAME,
                why,
            )
        for getattr_node in tree.find_all(nodes.Getattr):
            owner = getattr_node.node
            if not isinstance(owner, nodes.Name) or owner.name not in BUILTINS:
                continue
            if getattr_node.attr in BUILTINS[owner.name]:
                continue
            allowed = BUILTINS[owner.name]
            yield Problem(
                document.file,
                _locate(document, path, getattr_node.lineno, getattr_node.attr),
                Severity.ERROR,
                UNDEFINED_NAME,
                f"'{owner.name}' has no attribute '{getattr_node.attr}'"
                f"{did_you_mean(getattr_node.attr, allowed)} (it has {', '.join(allowed)})",
            )


def _set_names(flow: FlowView) -> set[str]:
    names: set[str] = set()
    for step in flow.steps:
        assignments = step.body.get("set")
        if isinstance(assignments, dict):
            names.update(assignments)
    return names


def _step_set_names(step: StepView) -> list[str]:
    assignments = step.body.get("set")
    return list(assignments) if isinstance(assignments, dict) else []


def _assigned_on_entry(flow: FlowView) -> dict[str, set[str]]:
    """The set variables sure to be assigned when each step is entered.

    A variable counts only when every way from the start step to here assigns it, so a
    name set on one branch cannot be a blank at call time on another. Steps never
    reached keep every name, so they add no noise to the unreachable-step warning.
    """
    every_name = _set_names(flow)
    steps = {step.id: step for step in flow.steps}
    on_entry = {step_id: set(every_name) for step_id in steps}
    if flow.start_id not in steps:
        return on_entry
    on_entry[flow.start_id] = set()
    changed = True
    while changed:
        changed = False
        incoming: dict[str, list[set[str]]] = {step_id: [] for step_id in steps}
        for step in steps.values():
            on_exit = on_entry[step.id] | set(_step_set_names(step))
            for _, target in step.targets():
                if target in incoming:
                    incoming[target].append(on_exit)
        for step_id, sources in incoming.items():
            if step_id == flow.start_id or not sources:
                continue
            narrowed = set.intersection(*sources)
            if narrowed != on_entry[step_id]:
                on_entry[step_id] = narrowed
                changed = True
    return on_entry


def _assigned_at(flow: FlowView, on_entry: dict[str, set[str]], path: NodePath) -> set[str]:
    """The set variables a template at ``path`` can rely on."""
    if len(path) < 3 or path[0] != "steps" or not isinstance(path[1], str):
        return set()  # top-level texts are rendered before any step runs
    step_id = path[1]
    names = set(on_entry.get(step_id, ()))
    step = next((step for step in flow.steps if step.id == step_id), None)
    if step is None:
        return names
    own = _step_set_names(step)
    if path[2] == "set" and len(path) > 3 and path[3] in own:
        # 'set' assigns in the order written: a value sees the names before it.
        return names | set(own[: own.index(str(path[3]))])
    return names | set(own)


def _reserved_names(flow: FlowView) -> Iterator[Problem]:
    document = flow.document
    defined: list[tuple[NodePath, str]] = [(("inputs", name), name) for name in flow.inputs]
    for step in flow.steps:
        assignments = step.body.get("set")
        if isinstance(assignments, dict):
            defined.extend((step.at("set", name), name) for name in assignments)
    for path, name in defined:
        if name in BUILTINS:
            yield Problem(
                document.file,
                document.key_mark(path),
                Severity.ERROR,
                RESERVED_NAME,
                f"'{name}' is a built-in name of templates and cannot be an input or set variable",
            )


def _first_line_of(tree: nodes.Template, name: str) -> int:
    lines = [node.lineno for node in tree.find_all(nodes.Name) if node.name == name]
    return min(lines, default=1)


def _locate(document: Document, path: NodePath, lineno: int, word: str | None = None) -> Mark:
    """The file position of line ``lineno`` of the template at ``path`` (and of ``word`` on it)."""
    base = document.mark(path)
    # A block scalar's text starts on the line below its '|' or '>' indicator.
    line = base.line + lineno if path in document.block_scalars else base.line + lineno - 1
    if not 0 < line <= len(document.source_lines):
        return base
    text = document.source_lines[line - 1]
    start = base.column - 1 if line == base.line else 0
    if word is not None:
        found = re.compile(rf"\b{re.escape(word)}\b").search(text, start)
        if found is not None:
            return Mark(line, found.start() + 1)
    if line == base.line:
        return base
    return Mark(line, len(text) - len(text.lstrip()) + 1)
