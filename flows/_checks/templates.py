"""Templates: they parse, and every name they use is defined."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from jinja2 import TemplateSyntaxError, meta, nodes

from flows._checks._assigned import assigned_on_entry
from flows._document import Document, NodePath
from flows._problems import Mark, Problem, Severity
from flows._suggest import Hints, did_you_mean
from flows._templates import BUILTINS, environment, template_fields
from flows._view import FlowView, StepView

TEMPLATE_SYNTAX = "template-syntax"
UNDEFINED_NAME = "undefined-name"
RESERVED_NAME = "reserved-name"
RULES = (TEMPLATE_SYNTAX, UNDEFINED_NAME, RESERVED_NAME)


@dataclass(frozen=True)
class _Reading:
    """What a template's text says wherever it stands, so each distinct text is parsed once."""

    #: The names it reads that neither inputs nor built-ins define.
    free: frozenset[str]
    #: Mistakes found without the flow's set variables (syntax, built-in attributes):
    #: the line in the template, the word to point at, the rule and the message.
    mistakes: tuple[tuple[int, str | None, str, str], ...]


_NOTHING_TO_READ = _Reading(frozenset(), ())


@dataclass(frozen=True)
class _Parsed:
    """One template of the flow, and what was found in it."""

    path: NodePath
    text: str
    free: frozenset[str]
    problems: tuple[Problem, ...]


def check_templates(flow: FlowView) -> Iterator[Problem]:
    yield from _reserved_names(flow)
    always = set(flow.inputs) | set(BUILTINS) | set(environment().globals)
    set_anywhere = _set_names(flow)
    own = {step.id: _set_order(step) for step in flow.steps}
    readings: dict[str, _Reading] = {}
    parsed: list[_Parsed] = []
    for path, text in template_fields(flow.document.data):
        reading = readings.get(text)
        if reading is None:
            reading = readings[text] = _read(text, always)
        problems = tuple(
            Problem(
                flow.document.file, _locate(flow.document, path, line, word), Severity.ERROR, rule, message
            )
            for line, word, rule, message in reading.mistakes
        )
        parsed.append(_Parsed(path, text, reading.free, problems))
    wanted: dict[str, set[str]] = {}
    for template in parsed:
        step_id = _step_of(template.path)
        if step_id is not None:
            wanted.setdefault(step_id, set()).update(
                name
                for name in template.free
                if name in set_anywhere and not _set_before(own.get(step_id, {}), template.path, name)
            )
    assigned = assigned_on_entry(flow, wanted)
    hint = Hints(always | set_anywhere)
    for template in parsed:
        yield from template.problems
        step_id = _step_of(template.path)
        undefined = sorted(
            name
            for name in template.free
            if step_id is None
            or not (name in assigned[step_id] or _set_before(own.get(step_id, {}), template.path, name))
        )
        if undefined:
            yield from _undefined(flow.document, template, undefined, hint, set_anywhere)


def _read(text: str, always: set[str]) -> _Reading:
    if "{" not in text:
        return _NOTHING_TO_READ  # no delimiter: words to say, nothing to check
    try:
        tree = environment().parse(text)
        plain = _is_plain(tree)
        if not plain:
            environment().compile(tree, raw=True)
    except TemplateSyntaxError as error:
        message = f"template error: {error.message or 'invalid template'}"
        return _Reading(frozenset(), ((error.lineno, None, TEMPLATE_SYNTAX, message),))
    # Jinja's name analysis costs as much as parsing; a plain template binds no name,
    # so every name it loads is free ('self' is Jinja's own).
    read = _loaded_names(tree) - {"self"} if plain else meta.find_undeclared_variables(tree)
    return _Reading(frozenset(read - always), tuple(_builtin_attributes(tree)))


def _is_plain(tree: nodes.Template) -> bool:
    """Whether compiling the template can find no mistake that parsing did not.

    Jinja's compiler refuses only unknown filters and tests, and misuse of macros,
    calls, loops, blocks and extends; compiling every template would be most of the
    lint's time, so the many that use none of these skip it.
    """
    env = environment()
    for node in tree.find_all((nodes.Stmt, nodes.Filter, nodes.Test)):
        if isinstance(node, nodes.Filter):
            known = node.name in env.filters
        elif isinstance(node, nodes.Test):
            known = node.name in env.tests
        else:
            known = isinstance(node, nodes.Output | nodes.If)
        if not known:
            return False
    return True


def _loaded_names(tree: nodes.Template) -> set[str]:
    return {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"}


def _undefined(
    document: Document, template: _Parsed, names: list[str], hint: Hints, set_anywhere: set[str]
) -> Iterator[Problem]:
    tree = environment().parse(template.text)  # parsed again: only templates with a mistake
    for name in names:
        if name in set_anywhere:
            why = f"'{name}' is not set on every way to here; set it in an earlier step"
        else:
            why = (
                f"'{name}' is not defined{hint(name)} "
                "(templates see the inputs, set variables, call, last and consult)"
            )
        yield Problem(
            document.file,
            _locate(document, template.path, _first_line_of(tree, name), name),
            Severity.ERROR,
            UNDEFINED_NAME,
            why,
        )


def _builtin_attributes(tree: nodes.Template) -> Iterator[tuple[int, str, str, str]]:
    for getattr_node in tree.find_all(nodes.Getattr):
        owner = getattr_node.node
        if not isinstance(owner, nodes.Name) or owner.name not in BUILTINS:
            continue
        if getattr_node.attr in BUILTINS[owner.name]:
            continue
        allowed = BUILTINS[owner.name]
        message = (
            f"'{owner.name}' has no attribute '{getattr_node.attr}'"
            f"{did_you_mean(getattr_node.attr, allowed)} (it has {', '.join(allowed)})"
        )
        yield getattr_node.lineno, getattr_node.attr, UNDEFINED_NAME, message


def _set_names(flow: FlowView) -> set[str]:
    names: set[str] = set()
    for step in flow.steps:
        assignments = step.body.get("set")
        if isinstance(assignments, dict):
            names.update(assignments)
    return names


def _step_of(path: NodePath) -> str | None:
    """The step a template at ``path`` belongs to; None for top-level texts, which are
    rendered before any step runs and so see no set variable."""
    if len(path) < 3 or path[0] != "steps" or not isinstance(path[1], str):
        return None
    return path[1]


def _set_order(step: StepView) -> dict[str, int]:
    """The variables a step sets, by their place in its 'set'."""
    assignments = step.body.get("set")
    return {name: place for place, name in enumerate(assignments)} if isinstance(assignments, dict) else {}


def _set_before(own: Mapping[str, int], path: NodePath, name: str) -> bool:
    """Whether the step of the template at ``path`` sets ``name`` before rendering it."""
    if name not in own:
        return False
    if path[2] == "set" and len(path) > 3 and path[3] in own:
        # 'set' assigns in the order written: a value sees the names before it.
        return own[name] < own[str(path[3])]
    return True


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
