"""Literal values: phone numbers, DTMF strings, input defaults, and ``on`` keys."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from jinja2 import TemplateSyntaxError, nodes

from flows._checks._words import describe
from flows._document import Data, NodePath
from flows._phone import e164_problem
from flows._problems import Problem, Severity
from flows._templates import environment
from flows._view import RESERVED_ON_KEYS, FlowView, StepView, as_dict, as_str

PHONE_NUMBER = "phone-number"
DTMF_CHARACTERS = "dtmf-characters"
INPUT_VALUE = "input-value"
ON_KEY = "on-key"
RULES = (PHONE_NUMBER, DTMF_CHARACTERS, INPUT_VALUE, ON_KEY)

DTMF_ALPHABET = frozenset("0123456789*#wWpP,")
_DTMF_KEY = re.compile(r"[0-9*#]+")
_WORD = re.compile(r"\w+")

_TYPE_CHECKS: dict[str, Callable[[Data], bool]] = {
    "string": lambda value: isinstance(value, str),
    "phone": lambda value: isinstance(value, str),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
}
_TYPE_WORDS = {
    "string": "text",
    "phone": "an E.164 phone number",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


def check_values(flow: FlowView) -> Iterator[Problem]:
    yield from _phone_numbers(flow)
    yield from _dtmf_strings(flow)
    yield from _input_values(flow)
    for step in flow.steps:
        yield from _on_keys(flow, step)


def _error(flow: FlowView, path: NodePath, rule: str, message: str, *, key: bool = False) -> Problem:
    document = flow.document
    mark = document.key_mark(path) if key else document.mark(path)
    return Problem(document.file, mark, Severity.ERROR, rule, message)


def _is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def _phone_numbers(flow: FlowView) -> Iterator[Problem]:
    numbers: list[tuple[NodePath, Data]] = [(("to",), flow.top.get("to")), (("from",), flow.top.get("from"))]
    numbers.extend((step.at("transfer"), step.body.get("transfer")) for step in flow.steps)
    for step in flow.steps:
        consult = as_dict(step.body.get("consult"))
        for name, number in as_dict(consult.get("transfer_to")).items():
            numbers.append((step.at("consult", "transfer_to", name), number))
    for path, value in numbers:
        if isinstance(value, str) and not _is_template(value):
            reason = e164_problem(value)
            if reason is not None:
                yield _error(flow, path, PHONE_NUMBER, f"{reason}, found '{value}'")


def _dtmf_strings(flow: FlowView) -> Iterator[Problem]:
    texts: list[tuple[NodePath, str | None]] = [(("dtmf_sequence",), as_str(flow.top.get("dtmf_sequence")))]
    texts.extend((step.at("send_digits"), as_str(step.body.get("send_digits"))) for step in flow.steps)
    for path, text in texts:
        if text is None:
            continue
        bad = sorted({char for char in _literal_text(text) if char not in DTMF_ALPHABET})
        if bad:
            shown = " ".join(repr(char) for char in bad)
            yield _error(
                flow,
                path,
                DTMF_CHARACTERS,
                f"expected DTMF characters 0-9 * # w W p P , in '{path[-1]}', found {shown}",
            )


def _literal_text(text: str) -> str:
    """The parts of a template written literally, outside ``{{ }}`` and ``{% %}``."""
    try:
        tree = environment().parse(text)
    except TemplateSyntaxError:
        return ""  # the templates check reports it
    return "".join(node.data for node in tree.find_all(nodes.TemplateData))


def _input_values(flow: FlowView) -> Iterator[Problem]:
    for name, spec in flow.inputs.items():
        kind = as_str(spec.get("type"))
        if kind not in _TYPE_CHECKS:
            continue
        fits = _TYPE_CHECKS[kind]
        choices = spec.get("enum")
        choices = choices if isinstance(choices, list) else None
        for index, choice in enumerate(choices or []):
            yield from _input_value(flow, ("inputs", name, "enum", index), name, kind, choice, "enum value")
        if "default" not in spec:
            continue
        default = spec["default"]
        if not fits(default) or kind == "phone":
            yield from _input_value(flow, ("inputs", name, "default"), name, kind, default, "default")
        if fits(default) and choices is not None and default not in choices:
            shown = ", ".join(describe(choice) for choice in choices)
            yield _error(
                flow,
                ("inputs", name, "default"),
                INPUT_VALUE,
                f"expected the default of input '{name}' to be one of its enum values ({shown}), "
                f"found {describe(default)}",
            )


def _input_value(
    flow: FlowView, path: NodePath, name: str, kind: str, value: Data, what: str
) -> Iterator[Problem]:
    if not _TYPE_CHECKS[kind](value):
        yield _error(
            flow,
            path,
            INPUT_VALUE,
            f"expected {_TYPE_WORDS[kind]} as {what} of input '{name}' (type: {kind}), "
            f"found {describe(value)}",
        )
    elif kind == "phone" and isinstance(value, str):
        reason = e164_problem(value)
        if reason is not None:
            yield _error(flow, path, PHONE_NUMBER, f"{reason}, found '{value}'")


def _on_keys(flow: FlowView, step: StepView) -> Iterator[Problem]:
    if "gather" not in step.body:
        return  # the structure check reports 'on' without 'gather'
    settings = flow.gather_settings(step)
    inputs = settings.get("input")
    inputs = inputs if isinstance(inputs, list) else ["dtmf"]
    digits = settings.get("digits")
    finish = as_str(settings.get("finish_on_key"))
    finish = "#" if finish is None else finish
    seen: dict[str, str] = {}
    for key in step.on:
        path = step.at("on", key)
        if key in RESERVED_ON_KEYS:
            continue
        if _DTMF_KEY.fullmatch(key):
            if "dtmf" not in inputs:
                yield _error(
                    flow,
                    path,
                    ON_KEY,
                    f"key '{key}' is DTMF, but step '{step.id}' gathers only speech; "
                    "add dtmf to gather.input",
                    key=True,
                )
            pressed = key[:-1] if finish and key.endswith(finish) else key
            if isinstance(digits, int) and not isinstance(digits, bool) and len(pressed) > digits:
                yield _error(
                    flow,
                    path,
                    ON_KEY,
                    f"key '{key}' needs {len(pressed)} digits, but step '{step.id}' gathers at most "
                    f"{digits} (digits: {digits})",
                    key=True,
                )
            normal = pressed
        else:
            words = _WORD.findall(key.lower())
            if not words:
                yield _error(
                    flow,
                    path,
                    ON_KEY,
                    f"expected DTMF keys (0-9 * #) or speech words as a key of 'on', found '{key}'",
                    key=True,
                )
                continue
            if "speech" not in inputs:
                yield _error(
                    flow,
                    path,
                    ON_KEY,
                    f"key '{key}' is a speech keyword, but step '{step.id}' gathers only DTMF; "
                    "add speech to gather.input",
                    key=True,
                )
            normal = " ".join(words)
        if normal in seen:
            yield _error(
                flow,
                path,
                ON_KEY,
                f"key '{key}' matches the same answers as key '{seen[normal]}'",
                key=True,
            )
        else:
            seen[normal] = key
