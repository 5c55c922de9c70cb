"""``${NAME}`` in the config's text values: the value of environment variable NAME.

Substitution runs on the parsed values, never on the file's text, so what a variable
holds stays one value: it cannot add keys or change the YAML around it. Where the config
schema wants a number or true/false, the text it makes is read as one (``port: ${PORT}``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flows import Data, Document, NodePath, Problem, Severity

ENV_UNSET = "env-unset"
ENV_REFERENCE = "env-reference"
ENV_TYPE = "env-type"

_BAD_REFERENCE = (
    "'${' starts no ${NAME} reference (NAME: a letter or '_', then letters, digits or '_'); "
    "write $${ for a literal '${'"
)
# '$${' first, so that an escaped reference is never read as a reference.
_TOKEN = re.compile(r"\$\$\{|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}|\$\{")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_BOOLEANS = {"true": True, "false": False}


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    # float() also reads 'nan' and 'inf', which no setting means.
    return value if value - value == 0 else None


#: Schema type -> (how the environment's text becomes a value of it, None if it cannot;
#: the type in words).
_CONVERSIONS: dict[str, tuple[Callable[[str], Data], str]] = {
    "integer": (lambda text: int(text) if _INTEGER.fullmatch(text) else None, "a whole number"),
    "number": (_number, "a number"),
    "boolean": (lambda text: _BOOLEANS.get(text.lower()), "true or false"),
}


def substitute(
    document: Document, environ: Mapping[str, str], schema: Mapping[str, Any]
) -> tuple[Data, list[Problem]]:
    """The document's data with every reference replaced, and a problem for each
    reference that cannot be: an unset variable, a '${' that starts no ${NAME}, or a
    text where ``schema`` wants a number or true/false that does not read as one."""
    substitution = _Substitution(document, environ, schema)
    return substitution.walk(document.data, ()), substitution.problems


@dataclass
class _Substitution:
    document: Document
    environ: Mapping[str, str]
    schema: Mapping[str, Any]
    problems: list[Problem] = field(default_factory=list)

    def walk(self, value: Data, path: NodePath) -> Data:
        if isinstance(value, dict):
            return {key: self.walk(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [self.walk(item, (*path, index)) for index, item in enumerate(value)]
        if isinstance(value, str) and "${" in value:
            return self.expand(value, path)
        return value

    def expand(self, text: str, path: NodePath) -> Data:
        # One line per distinct mistake in a value, however often it repeats there.
        mistakes: dict[str, str] = {}
        names: list[str] = []

        def replace(match: re.Match[str]) -> str:
            token, name = match.group(0), match.group("name")
            if token == "$${":
                return "${"
            if name is None:
                mistakes.setdefault(_BAD_REFERENCE, ENV_REFERENCE)
            elif name not in self.environ:
                mistakes.setdefault(f"environment variable {name} is not set", ENV_UNSET)
            else:
                names.append(name)
                return self.environ[name]
            return token

        expanded = _TOKEN.sub(replace, text)
        result: Data = expanded
        conversion = _CONVERSIONS.get(_schema_type(self.schema, path) or "")
        if names and not mistakes and conversion is not None:
            read, wanted = conversion
            converted = read(expanded.strip())
            if converted is None:
                variables = " and ".join(dict.fromkeys(names))
                noun = "variable" if len(set(names)) == 1 else "variables"
                mistakes[f"expected {wanted} from environment {noun} {variables}, found {expanded!r}"] = (
                    ENV_TYPE
                )
            else:
                result = converted
        where = f" (in {'.'.join(str(part) for part in path)})" if path else ""
        mark = self.document.mark(path)
        self.problems.extend(
            Problem(self.document.file, mark, Severity.ERROR, rule, message + where)
            for message, rule in mistakes.items()
        )
        return result


def _schema_type(schema: Mapping[str, Any], path: NodePath) -> str | None:
    """The one type ``schema`` wants at ``path``, if it names exactly one."""
    node: Any = schema
    for part in path:
        if isinstance(part, int):
            node = node.get("items")
        else:
            node = node.get("properties", {}).get(part, node.get("additionalProperties"))
        if not isinstance(node, dict):
            return None
    wanted = node.get("type")
    return wanted if isinstance(wanted, str) else None
