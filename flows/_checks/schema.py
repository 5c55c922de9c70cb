"""The schema check: JSON Schema errors turned into positioned, readable problems."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

from flows._checks._words import describe, where
from flows._document import Document, NodePath
from flows._problems import Mark, Problem, Severity
from flows._schemas import FLOW_SCHEMA, load_schema
from flows._suggest import did_you_mean

UNKNOWN_KEY = "unknown-key"
MISSING_KEY = "missing-key"
WRONG_TYPE = "wrong-type"
INVALID_VALUE = "invalid-value"
RULES = (UNKNOWN_KEY, MISSING_KEY, WRONG_TYPE, INVALID_VALUE)

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "nothing",
}

# What each pattern of the schemas means, in words an author understands.
_PATTERN_WORDS = {
    "^[a-z0-9]+(-[a-z0-9]+)*$": "lower-case words and digits joined by '-', such as 'order-update'",
    "^[A-Za-z_][A-Za-z0-9_]*$": "a variable name (a letter or '_', then letters, digits or '_')",
    "^[A-Za-z_][A-Za-z0-9_-]*$": "a step id (a letter or '_', then letters, digits, '_' or '-')",
    "^[0-9*#]?$": 'one key of 0-9 * #, or "" for none',
    "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$": "a language tag such as 'en-US'",
    "^/": "a path starting with '/', such as '/voice/webhook'",
    "^https?://\\S+$": "an http:// or https:// URL such as 'https://calls.example.com'",
}


def _required(validator: Validator, required: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """jsonschema's ``required`` as one error for all the keys a mapping lacks. The stock
    keyword yields an error per missing key and names the key only in its message, so
    ``_problems_for``, which names every missing key of an error, said each one twice."""
    if validator.is_type(instance, "object"):
        missing = [key for key in required if key not in instance]
        if missing:
            yield ValidationError(f"missing required keys {missing}")


# jsonschema's ``extend`` is untyped; it returns a validator class.
_FlowValidator: type[Validator] = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {"required": _required}
)


@functools.cache
def _validator(schema_name: str) -> Validator:
    schema = load_schema(schema_name)
    Draft202012Validator.check_schema(schema)
    return _FlowValidator(schema)


@functools.cache
def _verdict(schema_name: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(load_schema(schema_name))


def check_schema(document: Document, schema_name: str = FLOW_SCHEMA) -> Iterator[Problem]:
    """Problems of ``document`` against one of the ``schema/`` files (the flow schema by default).

    jsonschema-rs says whether the document is valid in a few milliseconds where
    jsonschema walks a 10,000-step flow in over a second. Only a document it finds
    invalid is walked again by jsonschema, whose errors carry what the messages need.
    Where the two differ, jsonschema-rs is the stricter (a pattern's ``$`` is the end
    of the text, where Python's also allows a final newline): its "invalid" only costs
    the second walk, and jsonschema's word is final.
    """
    try:
        valid = _verdict(schema_name).is_valid(document.data)
    except ValueError:  # what Rust's strings cannot hold, such as a lone surrogate ("\ud800")
        valid = False
    if valid:
        return
    for error in _validator(schema_name).iter_errors(document.data):
        yield from _problems_for(document, error)


def _problems_for(document: Document, error: ValidationError) -> Iterator[Problem]:
    path: NodePath = tuple(error.absolute_path)
    kind = error.validator
    schema: Any = error.schema
    found: Any = error.instance
    limit: Any = error.validator_value

    def problem(mark: Mark, rule: str, message: str) -> Problem:
        return Problem(document.file, mark, Severity.ERROR, rule, message)

    if kind == "additionalProperties" and isinstance(found, dict):
        known = list(schema.get("properties", {}))
        for key in found:
            if key not in known:
                hint = did_you_mean(key, known)
                yield problem(
                    document.key_mark((*path, key)),
                    UNKNOWN_KEY,
                    f"unknown key '{key}'{where(path)}{hint}",
                )
    elif kind == "required" and isinstance(found, dict):
        why = " (a conversation flow needs steps)" if "then" in error.relative_schema_path else ""
        for key in limit:
            if key not in found:
                mark = document.key_mark(path) if path else Mark(1, 1)
                yield problem(mark, MISSING_KEY, f"missing required key '{key}'{where(path)}{why}")
    elif kind == "type":
        names = [limit] if isinstance(limit, str) else list(limit)
        wanted = " or ".join(_TYPE_WORDS.get(name, name) for name in names)
        yield problem(
            document.mark(path),
            WRONG_TYPE,
            f"expected {wanted}{where(path)}, found {describe(found)}",
        )
    elif kind == "propertyNames":
        # The error is about a key of the mapping at ``path``; the sub-error says why.
        yield problem(
            document.key_mark((*path, str(found))),
            INVALID_VALUE,
            f"expected {_expected_for(error.context[0] if error.context else error)}"
            f"{where(path)}, found '{found}'",
        )
    else:
        yield problem(
            document.mark(path),
            INVALID_VALUE,
            f"expected {_expected_for(error)}{where(path)}, found {describe(found)}{_hint_for(error)}",
        )


def _expected_for(error: ValidationError) -> str:
    kind = error.validator
    limit: Any = error.validator_value
    if kind == "pattern":
        return _PATTERN_WORDS.get(str(limit), f"text matching {limit}")
    if kind == "const":
        return describe(limit)
    if kind == "enum":
        return "one of " + ", ".join(describe(choice) for choice in limit)
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        relation = {
            "minimum": "at least",
            "exclusiveMinimum": "more than",
            "maximum": "at most",
            "exclusiveMaximum": "less than",
        }[str(kind)]
        return f"a value {relation} {limit}"
    if kind == "minLength":
        return "non-empty text"
    if kind == "minItems":
        return f"a list of at least {limit} item{'s' if limit != 1 else ''}"
    if kind == "minProperties":
        return "at least one entry"
    if kind == "uniqueItems":
        return "a list without repeated items"
    return error.message


def _hint_for(error: ValidationError) -> str:
    choices: Any = error.validator_value
    if error.validator == "enum" and isinstance(error.instance, str):
        return did_you_mean(error.instance, [str(choice) for choice in choices])
    return ""
