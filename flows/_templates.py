"""The template language of flows: a sandboxed Jinja, and where templates may stand.

Only text the flow's author wrote is ever compiled as a template. Values that arrive
with a call (inputs, CSV cells, the caller's speech, webhook fields) are passed in as
variables and so stay data, whatever braces they contain.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from flows._document import Data, NodePath

#: Names every template sees besides the flow's inputs and ``set`` variables, with
#: the attributes each one has.
BUILTINS: dict[str, tuple[str, ...]] = {
    "call": ("id", "from", "to", "direction"),
    "last": ("digits", "speech"),
    "consult": ("spoken",),
}

_TOP_LEVEL_TEMPLATES = ("to", "from", "greeting", "dtmf_sequence")
_STEP_TEMPLATES = ("say", "play", "send_digits", "transfer")


@functools.cache
def environment() -> SandboxedEnvironment:
    """The one environment that parses and renders flow templates.

    Sandboxed, so a template cannot reach Python internals; strict, so a missing name
    is an error rather than a silent blank in what the caller hears.
    """
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def template_fields(data: Data) -> Iterator[tuple[NodePath, str]]:
    """Every text of a flow document that is a template, with its path."""
    if not isinstance(data, dict):
        return
    for key in _TOP_LEVEL_TEMPLATES:
        value = data.get(key)
        if isinstance(value, str):
            yield (key,), value
    steps = data.get("steps")
    if not isinstance(steps, dict):
        return
    for step_id, step in steps.items():
        if not isinstance(step, dict):
            continue
        base: NodePath = ("steps", step_id)
        for key in _STEP_TEMPLATES:
            yield from _texts(step.get(key), (*base, key))
        assignments = step.get("set")
        if isinstance(assignments, dict):
            for name, value in assignments.items():
                yield from _texts(value, (*base, "set", name))
        consult = step.get("consult")
        if isinstance(consult, dict):
            yield from _texts(consult.get("prompt"), (*base, "consult", "prompt"))
            targets = consult.get("transfer_to")
            if isinstance(targets, dict):
                for name, number in targets.items():
                    yield from _texts(number, (*base, "consult", "transfer_to", name))


def _texts(value: Data, path: NodePath) -> Iterator[tuple[NodePath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield (*path, index), item
