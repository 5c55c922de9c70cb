"""Bind the values given for a call (``--var``, a CSV row) to the flow's typed inputs."""

from __future__ import annotations

from collections.abc import Mapping

from flows import Data, Flow, Input, Text, did_you_mean, e164_problem

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


class InputError(ValueError):
    """A value for the flow's inputs is missing, unknown or of the wrong form."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def bind_inputs(flow: Flow, given: Mapping[str, str]) -> dict[str, Data]:
    """Typed values for every input of ``flow``: given text converted, defaults filled in.

    Raises InputError naming the input for an unknown name, a missing required input,
    or a value that does not fit the input's type or enum.
    """
    for name in given:
        if name not in flow.inputs:
            known = ", ".join(flow.inputs) or "none"
            raise InputError(
                name,
                f"flow '{flow.name}' has no input '{name}'{did_you_mean(name, flow.inputs)} "
                f"(inputs: {known})",
            )
    missing = [spec.name for spec in flow.inputs.values() if spec.required and spec.name not in given]
    if missing:
        names = ", ".join(missing)
        raise InputError(
            missing[0],
            f"flow '{flow.name}' needs input{'s' if len(missing) > 1 else ''} {names}: "
            f"give {' '.join(f'--var {name}=...' for name in missing)}",
        )
    values: dict[str, Data] = {}
    for spec in flow.inputs.values():
        values[spec.name] = _convert(spec, given[spec.name]) if spec.name in given else spec.default
    return values


def _convert(spec: Input, text: str) -> Data:
    value: Data
    if spec.type == "integer":
        try:
            value = int(text.strip())
        except ValueError:
            raise InputError(spec.name, f"input '{spec.name}' is an integer, found '{text}'") from None
    elif spec.type == "number":
        try:
            value = float(text.strip())
        except ValueError:
            raise InputError(spec.name, f"input '{spec.name}' is a number, found '{text}'") from None
    elif spec.type == "boolean":
        lowered = text.strip().lower()
        if lowered not in _TRUE | _FALSE:
            raise InputError(spec.name, f"input '{spec.name}' is true or false, found '{text}'")
        value = lowered in _TRUE
    elif spec.type == "phone":
        value = text.strip()
        problem = e164_problem(value)
        if problem is not None:
            raise InputError(spec.name, f"input '{spec.name}': {problem}, found '{text}'")
    else:
        value = text
    if spec.enum is not None and value not in spec.enum:
        choices = ", ".join(str(choice) for choice in spec.enum)
        raise InputError(spec.name, f"input '{spec.name}' is one of {choices}, found '{text}'")
    return value


def render_before_call(flow: Flow, key: str, text: Text, values: Mapping[str, Data]) -> str:
    """The flow's top-level ``key`` (``to``, ``from``) rendered with the bound ``values``,
    before the call exists: ``call``, ``last`` and ``consult`` are empty.

    Raises InputError naming ``key`` when it fails: before dialling, that is bad input.
    """
    try:
        return text.render({**values, "call": {}, "last": {}, "consult": {}})
    except Exception as error:
        # Template expressions are the author's code and may raise any Python error.
        raise InputError(key, f"flow '{flow.name}': '{key}' could not be rendered: {error}") from None
