"""Read a YAML file into a ``Document``: plain data plus the position of every node.

The loader composes the YAML node graph and builds the data itself instead of letting
the YAML library construct objects. That way no tag can make it build anything but
JSON-like values, a duplicated key is reported where it stands and the rest of the
file is still checked, and every key and value keeps its line and column.

The nodes come from libyaml through ruamel.yaml's C parser when it is installed and
takes the text (``flows/_compose.py``), else from ruamel.yaml's pure-Python composer,
which also words every syntax error.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from flows._compose import NotComposed, TooDeep
from flows._compose import compose as compose_fast
from flows._document import Data, Document, NodePath
from flows._errors import FlowFileError, FlowSyntaxError
from flows._gc import cyclic_gc_paused
from flows._problems import Mark, Problem, Severity

_TAG = "tag:yaml.org,2002:"
_PLAIN_SCALAR_TAGS = {f"{_TAG}{name}" for name in ("int", "float", "bool", "null")}
_STR_TAG = f"{_TAG}str"
# A date written without quotes is still just text to a flow.
_TEXT_TAGS = {_STR_TAG, f"{_TAG}timestamp"}
_COLLECTION_TAGS = {f"{_TAG}map", f"{_TAG}seq"}
_MERGE_TAG = f"{_TAG}merge"

YAML_ALIAS = "yaml-alias"
DUPLICATE_KEY = "duplicate-key"
YAML_MERGE = "yaml-merge"
KEY_TYPE = "key-type"
YAML_TAG = "yaml-tag"
RULES = (YAML_ALIAS, DUPLICATE_KEY, YAML_MERGE, KEY_TYPE, YAML_TAG)

#: Bounds that keep a hostile file (alias bombs, deep nesting) from eating the process.
MAX_NODES = 1_000_000  # room for 100,000 steps (flows/_checks/size.py) of a few keys each
MAX_DEPTH = 64
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Nodes built again through aliases: a few in a real flow, but an alias bomb of a few
#: lines would otherwise take seconds to reach MAX_NODES.
MAX_REBUILT_NODES = 100_000

_TOO_LARGE = f"the document is too large or too deeply nested (limits: {MAX_NODES} nodes, depth {MAX_DEPTH})"

_BRACKETS = re.compile(r"[\[\]{}]")

_TYPE_NAMES = {"int": "an integer", "float": "a number", "bool": "a boolean", "null": "null"}


class _TooLarge(Exception):
    """Stops building a document that passed MAX_NODES or MAX_DEPTH, at ``node``."""

    def __init__(self, node: Node) -> None:
        super().__init__()
        self.node = node


@dataclass
class _Builder:
    file: str
    construct: Callable[[ScalarNode], object]
    problems: list[Problem] = field(default_factory=list)
    value_marks: dict[NodePath, Mark] = field(default_factory=dict)
    key_marks: dict[NodePath, Mark] = field(default_factory=dict)
    block_scalars: set[NodePath] = field(default_factory=set)
    nodes_seen: int = 0
    nodes_rebuilt: int = 0
    _built: set[int] = field(default_factory=set)
    _open: set[int] = field(default_factory=set)

    def report(self, node: Node, rule: str, message: str) -> None:
        self.problems.append(Problem(self.file, _mark_of(node), Severity.ERROR, rule, message))

    def build(self, node: Node, path: NodePath) -> Data:
        self.nodes_seen += 1
        if id(node) in self._built:
            self.nodes_rebuilt += 1
        else:
            self._built.add(id(node))
        if self.nodes_seen > MAX_NODES or self.nodes_rebuilt > MAX_REBUILT_NODES or len(path) > MAX_DEPTH:
            raise _TooLarge(node)
        self.value_marks.setdefault(path, _mark_of(node))
        if id(node) in self._open:
            self.report(node, YAML_ALIAS, "an alias refers to a node that contains it")
            return None
        self._open.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            if isinstance(node, SequenceNode):
                self._check_collection_tag(node)
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, ScalarNode):
                return self._scalar(node, path)
            raise TypeError(f"YAML composes mappings, sequences and scalars only, not {type(node).__name__}")
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: MappingNode, path: NodePath) -> dict[str, Data]:
        self._check_collection_tag(node)
        result: dict[str, Data] = {}
        first_seen: dict[str, Node] = {}
        merged: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(self._merge_sources(value_node))
                continue
            key = self._key(key_node)
            if key is None:
                continue
            if key in first_seen:
                line = _mark_of(first_seen[key]).line
                self.report(key_node, DUPLICATE_KEY, f"duplicate key '{key}' (first at line {line})")
                continue
            first_seen[key] = key_node
            self._mark_key(key_node, value_node, (*path, key))
            result[key] = self.build(value_node, (*path, key))
        # Keys written in the mapping itself win over merged ones, as YAML's merge key says.
        for key_node, value_node in merged:
            key = self._key(key_node)
            if key is not None and key not in result:
                self._mark_key(key_node, value_node, (*path, key))
                result[key] = self.build(value_node, (*path, key))
        return result

    def _mark_key(self, key_node: Node, value_node: Node, path: NodePath) -> None:
        mark = self.key_marks[path] = _mark_of(key_node)
        if _is_empty(value_node):
            # A key with no value ("say:"): a problem with the value is shown at the
            # key. YAML parsers place the empty value after the colon or at the next
            # token, which may be the next key, several lines on.
            self.value_marks[path] = mark

    def _merge_sources(self, node: Node) -> list[tuple[Node, Node]]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        pairs: list[tuple[Node, Node]] = []
        for source in sources:
            if isinstance(source, MappingNode):
                pairs.extend(source.value)
            else:
                self.report(source, YAML_MERGE, "a merge key (<<) takes a mapping or a list of mappings")
        return pairs

    def _key(self, node: Node) -> str | None:
        if isinstance(node, ScalarNode) and node.tag in _TEXT_TAGS:
            return str(node.value)
        if isinstance(node, ScalarNode) and node.tag in _PLAIN_SCALAR_TAGS:
            found = _TYPE_NAMES[node.tag.removeprefix(_TAG)]
            self.report(
                node,
                KEY_TYPE,
                f'expected a text key, found {found} ({node.value}); write it in quotes: "{node.value}"',
            )
            return str(node.value)
        self.report(node, KEY_TYPE, "expected a text key, found a list or mapping used as a key")
        return None

    def _scalar(self, node: ScalarNode, path: NodePath) -> Data:
        if node.style in ("|", ">"):
            self.block_scalars.add(path)
        if node.tag in _TEXT_TAGS:
            text = str(node.value)
            # ruamel.yaml's round-trip composer marks where it folded a ">" scalar's
            # lines with a BEL, which YAML text cannot hold itself.
            return text.replace("\a", "") if node.style == ">" else text
        if node.tag in _PLAIN_SCALAR_TAGS:
            return _plain_value(self.construct(node))
        self.report(node, YAML_TAG, f"unsupported YAML tag '{node.tag}'; use plain YAML values")
        return str(node.value)

    def _check_collection_tag(self, node: Node) -> None:
        if node.tag not in _COLLECTION_TAGS:
            self.report(node, YAML_TAG, f"unsupported YAML tag '{node.tag}'; use plain YAML values")


def _is_empty(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.value == "" and node.style is None


def _plain_value(value: object) -> Data:
    """Turn the YAML library's int, float, bool and null objects into plain ones."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    raise AssertionError(f"unexpected scalar type {type(value).__name__}")


def _mark_of(node: Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def parse_document(text: str, file: str) -> tuple[Document, list[Problem]]:
    """Parse YAML ``text`` into a Document and the problems found on the way.

    Raises FlowSyntaxError when the text is not a single YAML document.
    """
    yaml = YAML(typ="rt")
    # The YAML library composes nested collections by recursion, and its scanner slows
    # down with every open bracket: [[[[... thousands deep would take seconds and then
    # exhaust Python's stack. Refused before, where it first goes too deep.
    too_deep = _too_deep_mark(text) if _bracket_depth_passes(text, MAX_DEPTH) else None
    if too_deep is not None:
        raise FlowSyntaxError(file, too_deep, _TOO_LARGE)
    # Some ten objects a step, all kept, none in a cycle: see cyclic_gc_paused.
    with cyclic_gc_paused():
        return _parse(yaml, text, file)


def _parse(yaml: YAML, text: str, file: str) -> tuple[Document, list[Problem]]:
    try:
        root = _compose(yaml, text)
    except TooDeep as stop:
        raise FlowSyntaxError(file, Mark(stop.mark.line + 1, stop.mark.column + 1), _TOO_LARGE) from None
    except MarkedYAMLError as error:
        raise FlowSyntaxError(file, _error_mark(error), _error_reason(error)) from None
    except ReaderError as error:
        raise FlowSyntaxError(file, _text_mark(text, error.position), _reader_reason(error)) from None
    except YAMLError as error:
        raise FlowSyntaxError(file, Mark(1, 1), str(error).splitlines()[0]) from None
    except RecursionError:
        # Block collections nested hundreds deep ("- - - - ..."), which have no brackets.
        raise FlowSyntaxError(file, _too_deep_mark(text) or Mark(1, 1), _TOO_LARGE) from None
    if root is None:
        return Document(file, None, source_lines=tuple(text.splitlines())), []
    builder = _Builder(file, yaml.constructor.construct_object)
    try:
        data = builder.build(root, ())
    except _TooLarge as stop:
        raise FlowSyntaxError(file, _mark_of(stop.node), _TOO_LARGE) from None
    document = Document(
        file,
        data,
        value_marks=builder.value_marks,
        key_marks=builder.key_marks,
        block_scalars=frozenset(builder.block_scalars),
        source_lines=tuple(text.splitlines()),
    )
    return document, builder.problems


def _compose(yaml: YAML, text: str) -> Node | None:
    """The root node of ``text``: by the C parser when it takes the text, else by the
    pure-Python loader, which also words every syntax error the user sees."""
    try:
        return compose_fast(text, MAX_DEPTH)
    except NotComposed:
        pass
    with warnings.catch_warnings():
        # The YAML library warns about oddities we either report or do not care about.
        warnings.simplefilter("ignore")
        root: Node | None = yaml.compose(text)
    return root


def load_document(path: Path, display_name: str | None = None) -> tuple[Document, list[Problem]]:
    """Read and parse the file at ``path``; see ``parse_document``.

    Raises FlowFileError when the file cannot be read as text.
    """
    file = display_name if display_name is not None else str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise FlowFileError(file, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FlowFileError(file, "no such file") from None
    except IsADirectoryError:
        raise FlowFileError(file, "is a folder, not a file") from None
    except OSError as error:
        raise FlowFileError(file, error.strerror or "cannot be read") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FlowFileError(file, f"not UTF-8 text (byte {error.start})") from None
    return parse_document(text, file)


def _error_mark(error: MarkedYAMLError) -> Mark:
    mark = error.problem_mark or error.context_mark
    if mark is None:
        return Mark(1, 1)
    return Mark(mark.line + 1, mark.column + 1)


def _error_reason(error: MarkedYAMLError) -> str:
    parts = [part for part in (error.context, error.problem) if part]
    reason = "; ".join(parts) if parts else "not valid YAML"
    return f"not valid YAML: {reason}"


def _bracket_depth_passes(text: str, limit: int) -> bool:
    """Whether flow brackets in ``text`` open more than ``limit`` deep, counted roughly
    (brackets in quoted text count too): a cheap look before the exact one."""
    depth = 0
    for bracket in _BRACKETS.finditer(text):
        if bracket.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        elif depth > 0:
            depth -= 1
    return False


def _too_deep_mark(text: str) -> Mark | None:
    """Where nesting first passes MAX_DEPTH, found from the parser's events, which come
    from a loop and not from recursion; None when it never does."""
    depth = -1  # the root collection is at depth 0, as in the builder's paths
    try:
        for event in YAML(typ="rt").parse(text):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return Mark(event.start_mark.line + 1, event.start_mark.column + 1)
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except YAMLError:
        pass  # a syntax error: compose reports it
    return None


def _text_mark(text: str, position: int) -> Mark:
    """The line and column of the character at ``position`` in ``text``."""
    line_start = text.rfind("\n", 0, position) + 1
    return Mark(text.count("\n", 0, position) + 1, position - line_start + 1)


def _reader_reason(error: ReaderError) -> str:
    if isinstance(error.character, int):
        return f"not valid YAML: unacceptable character #x{error.character:04x}: {error.reason}"
    return f"not valid YAML: {error.reason}"
