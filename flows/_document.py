"""A flow file as plain data, with the line and column of every node."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from flows._problems import Mark

PathPart: TypeAlias = str | int
NodePath: TypeAlias = tuple[PathPart, ...]

#: What a YAML value becomes: JSON-like data, so JSON Schema applies to it as is.
Data: TypeAlias = bool | int | float | str | list["Data"] | dict[str, "Data"] | None

ROOT_MARK = Mark(1, 1)


@dataclass(frozen=True)
class Document:
    """A loaded flow file: its data and where each node of it stands in the file."""

    file: str
    data: Data
    value_marks: Mapping[NodePath, Mark] = field(default_factory=dict)
    key_marks: Mapping[NodePath, Mark] = field(default_factory=dict)
    #: Paths of literal (|) and folded (>) scalars, whose text starts a line below.
    block_scalars: frozenset[NodePath] = frozenset()
    #: The file's text, line by line, for pointing inside a multi-line value.
    source_lines: tuple[str, ...] = ()

    def mark(self, path: NodePath) -> Mark:
        """Where the value at ``path`` starts, or its nearest ancestor's when unknown."""
        for end in range(len(path), -1, -1):
            found = self.value_marks.get(path[:end])
            if found is not None:
                return found
        return ROOT_MARK

    def key_mark(self, path: NodePath) -> Mark:
        """Where the key naming ``path`` stands; the value's mark for list items."""
        found = self.key_marks.get(path)
        return found if found is not None else self.mark(path)

    def get(self, path: NodePath) -> Data:
        """The value at ``path``, or None where the path leads nowhere."""
        node: Data = self.data
        for part in path:
            if isinstance(part, str) and isinstance(node, dict):
                node = node.get(part)
            elif isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
            else:
                return None
        return node
