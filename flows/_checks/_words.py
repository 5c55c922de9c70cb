"""Phrases shared by the checks' messages."""

from __future__ import annotations

from flows._document import Data, NodePath


def describe(value: Data) -> str:
    """A short phrase for a found value: ``the number 5``, ``'notfy'``, ``a list``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"'{shown}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing"


def where(path: NodePath) -> str:
    """``in step 'menu'``-style context for messages, from a node path."""
    if len(path) >= 2 and path[0] == "steps":
        rest = ".".join(str(part) for part in path[2:])
        return f" in step '{path[1]}'" + (f" ({rest})" if rest else "")
    if path:
        return " in " + ".".join(str(part) for part in path)
    return ""
