"""``${NAME}`` in the config's text values: the value of environment variable NAME.

Substitution runs on the parsed values, never on the file's text, so what a variable
holds stays one text value: it cannot add keys or change the YAML around it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flows import Data, Document, NodePath, Problem, Severity

ENV_UNSET = "env-unset"
ENV_REFERENCE = "env-reference"

_BAD_REFERENCE = (
    "'${' starts no ${NAME} reference (NAME: a letter or '_', then letters, digits or '_'); "
    "write $${ for a literal '${'"
)
# '$${' first, so that an escaped reference is never read as a reference.
_TOKEN = re.compile(r"\$\$\{|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}|\$\{")


def substitute(document: Document, environ: Mapping[str, str]) -> tuple[Data, list[Problem]]:
    """The document's data with every reference replaced, and a problem for each
    reference that cannot be: an unset variable or a '${' that starts no ${NAME}."""
    substitution = _Substitution(document, environ)
    return substitution.walk(document.data, ()), substitution.problems


@dataclass
class _Substitution:
    document: Document
    environ: Mapping[str, str]
    problems: list[Problem] = field(default_factory=list)

    def walk(self, value: Data, path: NodePath) -> Data:
        if isinstance(value, dict):
            return {key: self.walk(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [self.walk(item, (*path, index)) for index, item in enumerate(value)]
        if isinstance(value, str) and "${" in value:
            return self.expand(value, path)
        return value

    def expand(self, text: str, path: NodePath) -> str:
        # One line per distinct mistake in a value, however often it repeats there.
        mistakes: dict[str, str] = {}

        def replace(match: re.Match[str]) -> str:
            token, name = match.group(0), match.group("name")
            if token == "$${":
                return "${"
            if name is None:
                mistakes.setdefault(_BAD_REFERENCE, ENV_REFERENCE)
            elif name not in self.environ:
                mistakes.setdefault(f"environment variable {name} is not set", ENV_UNSET)
            else:
                return self.environ[name]
            return token

        expanded = _TOKEN.sub(replace, text)
        where = f" (in {'.'.join(str(part) for part in path)})" if path else ""
        mark = self.document.mark(path)
        self.problems.extend(
            Problem(self.document.file, mark, Severity.ERROR, rule, message + where)
            for message, rule in mistakes.items()
        )
        return expanded
