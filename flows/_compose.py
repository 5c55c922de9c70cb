"""Compose YAML text into nodes with the C parser of ruamel.yaml, by a loop.

ruamel.yaml's round-trip loader scans and parses in pure Python, about half a
millisecond a step of a flow; its C parser (``ruamel.yaml.clib``, libyaml) gives the
same events in a tenth of the time. Its C composer is not used: it composes nested
collections by recursion in C, where a file nested thousands deep would overflow the
stack. This composer is a loop over the parser's events that refuses nesting past a
depth at the collection that first passes it.

It handles the common case only: one document with no ``%YAML`` directive, no tab and
no Unicode line separator. Anything else, and any text that is not valid YAML, raises
``NotComposed``; the caller then composes with the pure-Python loader, whose errors are
the ones users are shown.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

try:
    from _ruamel_yaml import CParser  # type: ignore[import-not-found]  # ruamel.yaml.clib has no stubs
except ImportError:  # pragma: no cover - ruamel.yaml.clib is a dependency on CPython
    CParser = None

AVAILABLE = CParser is not None

# YAML 1.2's implicit types as the round-trip loader resolves them: by the first
# character, then a pattern. Looked up once; the resolver's own lookup finds the YAML
# version through exceptions on every scalar, a third of the time of this composer.
_IMPLICIT: dict[str | None, list[tuple[str, Any]]] = VersionedResolver(version=(1, 2)).versioned_resolver
_ANY_FIRST = _IMPLICIT.get(None, [])
_BY_FIRST = {first: patterns + _ANY_FIRST for first, patterns in _IMPLICIT.items() if first is not None}
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


# Where libyaml reads text otherwise than ruamel.yaml: it takes a tab in places where
# ruamel.yaml refuses one ("a:\t1"), and it breaks lines at NEL, LS and PS as YAML 1.1
# did. The pure loader decides these, so a file reads alike with or without libyaml.
_READ_OTHERWISE = re.compile("[\t\x85\u2028\u2029]")


class NotComposed(Exception):
    """The text is not a case this composer handles; compose it the slow way."""


class TooDeep(Exception):
    """Collections nest deeper than allowed; ``mark`` is where it first goes too deep."""

    def __init__(self, mark: Any) -> None:
        super().__init__()
        self.mark = mark


def compose(text: str, max_depth: int) -> Node | None:
    """The root node of the single YAML document in ``text``, or None when it is empty.

    Raises TooDeep past ``max_depth`` (the root collection is depth 0) and NotComposed
    for anything else this composer leaves to the pure-Python loader.
    """
    if CParser is None or _READ_OTHERWISE.search(text):
        raise NotComposed
    parser = CParser(text)
    try:
        return _compose_events(parser, max_depth)
    except (NotComposed, TooDeep):
        raise
    except Exception as error:  # any scanner, parser or reader error of the C parser
        raise NotComposed from error
    finally:
        parser.dispose()


def _compose_events(parser: Any, max_depth: int) -> Node | None:
    parser.get_event()  # StreamStartEvent
    event = parser.get_event()
    if isinstance(event, StreamEndEvent):
        return None
    if not isinstance(event, DocumentStartEvent) or event.version is not None:
        raise NotComposed
    anchors: dict[str, Node] = {}
    # Each open collection: its node and, for a mapping, the key waiting for a value.
    stack: list[tuple[Node, list[Node]]] = []
    root: Node | None = None
    while True:
        event = parser.get_event()
        node: Node
        if isinstance(event, ScalarEvent):
            tag = _explicit_tag(event) or _scalar_tag(event.value, event.implicit[0])
            style = event.style or None  # libyaml gives "" for a plain scalar, ruamel.yaml None
            node = ScalarNode(_tag(tag), event.value, event.start_mark, event.end_mark, style=style)
        elif isinstance(event, AliasEvent):
            if event.anchor not in anchors:
                raise NotComposed
            node = anchors[event.anchor]
        elif isinstance(event, (SequenceStartEvent, MappingStartEvent)):
            if len(stack) > max_depth:
                raise TooDeep(event.start_mark)
            if isinstance(event, SequenceStartEvent):
                node = SequenceNode(_tag(_explicit_tag(event) or _SEQ), [], event.start_mark, None)
            else:
                node = MappingNode(_tag(_explicit_tag(event) or _MAP), [], event.start_mark, None)
            if event.anchor is not None:
                anchors[event.anchor] = node
            _add(stack, node)
            stack.append((node, []))
            continue
        elif stack:  # SequenceEndEvent or MappingEndEvent
            node = stack.pop()[0]
            node.end_mark = event.end_mark
            if stack:
                continue
            root = node
            break
        else:
            raise NotComposed
        if isinstance(event, ScalarEvent) and event.anchor is not None:
            anchors[event.anchor] = node
        if not stack:
            if isinstance(node, ScalarNode) and node.style in ("|", ">"):
                # A whole document that is one block scalar: libyaml ends it before a
                # line at column 0 ("#", "..."), ruamel.yaml reads the line into it.
                raise NotComposed
            root = node
            break
        _add(stack, node)
    parser.get_event()  # DocumentEndEvent
    if not isinstance(parser.get_event(), StreamEndEvent):
        raise NotComposed  # more than one document
    return root


def _add(stack: list[tuple[Node, list[Node]]], node: Node) -> None:
    """Put ``node`` into the innermost open collection, if there is one."""
    if not stack:
        return
    parent, pending_key = stack[-1]
    if isinstance(parent, SequenceNode):
        parent.value.append(node)
    elif pending_key:
        parent.value.append((pending_key.pop(), node))
    else:
        pending_key.append(node)


@functools.lru_cache(maxsize=64)  # bounded: a file may write any tag it likes
def _tag(text: str) -> Tag:
    """One Tag object for each tag: ruamel.yaml's nodes hold Tag objects, which keep
    their text once worked out."""
    return Tag(suffix=text)


def _explicit_tag(event: Any) -> str | None:
    tag = event.ctag
    if tag is None or str(tag) == "!":
        return None
    if event.anchor is not None:
        # "!!str &a x": libyaml's node starts at the tag, ruamel.yaml's at the anchor.
        raise NotComposed
    return str(tag)


def _scalar_tag(value: str, plain: bool) -> str:
    """The tag of an untagged scalar: a plain one by its look, a quoted one is text."""
    if plain:
        for tag, pattern in _BY_FIRST.get(value[:1], _ANY_FIRST):
            if pattern.match(value):
                return tag
    return _STR
