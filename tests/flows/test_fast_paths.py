"""The fast readers agree with the reference ones.

A flow is read by ruamel.yaml's C parser and checked against the schema by jsonschema-rs
for speed (bench/lint_scale.py); the pure-Python loader and jsonschema stay the
reference, and word every error. These tests hold the fast paths to the reference: on
every file and document here, and on generated ones.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from flows import FlowSyntaxError, Mark, load_document, parse_document
from flows._checks.schema import _validator, _verdict
from flows._compose import NotComposed, TooDeep, compose
from flows._schemas import FLOW_SCHEMA

ROOT = Path(__file__).resolve().parents[2]

# Each reads its files and prints what became of them: the data, every mark and
# problem, or the syntax error. "pure" hides the C parser, as on a Python without it.
READ_ALL = """
import json, sys
if sys.argv[1] == "pure":
    sys.modules["_ruamel_yaml"] = None
from pathlib import Path
import flows._compose
from flows import FlowSyntaxError, load_document
results = {}
for name in sys.argv[2:]:
    try:
        document, problems = load_document(Path(name))
    except FlowSyntaxError as error:
        results[name] = ["syntax", str(error)]
        continue
    results[name] = [
        document.data,
        sorted((repr(path), mark.line, mark.column) for path, mark in document.value_marks.items()),
        sorted((repr(path), mark.line, mark.column) for path, mark in document.key_marks.items()),
        sorted(repr(path) for path in document.block_scalars),
        [problem.format() for problem in problems],
    ]
print(json.dumps({"c_parser": flows._compose.AVAILABLE, "results": results}, default=repr))
"""

TRICKY = {
    "anchors.yaml": "base: &b {say: Hi, next: two}\none: *b\nlist: &l [1, 2]\nagain: *l\n",
    "merge.yaml": "base: &b {say: Hi}\nstep:\n  <<: *b\n  next: x\n",
    "merge-list.yaml": "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n  x: 3\n",
    "duplicate.yaml": "a: 1\nb: 2\na: 3\n",
    "tags.yaml": "a: !!str 12\nb: !custom x\nc: !!int '7'\nd: !!binary aGk=\n",
    "scalars.yaml": "a: 0x1F\nb: 1_000\nc: .inf\nd: -.INF\ne: .nan\nf: ~\ng: yes\nh: 2001-01-01\ni: 0o17\nj: 1e3\n",
    "keys.yaml": "1: one\ntrue: yes\n~: nothing\n[a, b]: list\n",
    "unicode.yaml": 'name: "Grüße 👋"\nsay: café — très bien\nnext: ünïcode\n',
    "block.yaml": "say: |\n  line one\n  line two\nother: >-\n  folded\n  text\n",
    "quoted.yaml": "a: 'it''s'\nb: \"tab\\there \\u00e9 \\ud800\"\nc: ''\nd: \"\"\n",
    "flow.yaml": "steps: {a: {say: Hi, on: {'1': b, no_input: c}}, b: [1, {x: y}]}\n",
    "comments.yaml": "# only a comment\n",
    "empty.yaml": "",
    "scalar-root.yaml": "just text\n",
    "list-root.yaml": "- a\n- b: c\n",
    "explicit-doc.yaml": "---\na: 1\n...\n",
    "yaml11.yaml": "%YAML 1.1\n---\na: yes\nb: 0777\n",
    "two-docs.yaml": "a: 1\n---\nb: 2\n",
    "unclosed.yaml": "a: [1, 2\n",
    "bad-indent.yaml": "a:\n  b: 1\n c: 2\n",
    "nul.yaml": "a: 1\nb: x\x00y\n",
    "undefined-alias.yaml": "a: *nowhere\n",
    "self-alias.yaml": "a: &x [1, *x]\n",
    "deep-flow.yaml": "a: " + "[" * 70 + "]" * 70 + "\n",
    "deep-block.yaml": "- " * 300 + "x\n",
    "crlf.yaml": "a: 1\r\nb:\r\n  c: 2\r\n",
    "tabs.yaml": "a:\t1\nb: [1,\t2]\n",
    "line-separators.yaml": "a: one\u2028two\nb: x\u0085y\n",
    "question-key.yaml": "? complex\n: value\n",
    "directive-tag.yaml": "%TAG !e! tag:example.com,2000:\n---\na: !e!thing x\n",
}


def _read_all(mode: str, files: list[str]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-c", READ_ALL, mode, *files], capture_output=True, text=True, check=True, cwd=ROOT
    )
    read: dict[str, Any] = json.loads(completed.stdout)
    return read


def test_every_file_reads_the_same_with_and_without_the_c_parser(tmp_path: Path) -> None:
    for name, text in TRICKY.items():
        (tmp_path / name).write_text(text, encoding="utf-8", newline="")
    files = [str(path) for path in sorted((ROOT / "examples").glob("*.yaml"))]
    files += [str(tmp_path / name) for name in TRICKY]
    fast, pure = _read_all("fast", files), _read_all("pure", files)
    assert fast["c_parser"] is True
    assert pure["c_parser"] is False
    assert fast["results"] == pure["results"]
    outcomes = [result[0] for result in fast["results"].values()]
    # Both kinds are in the corpus: documents read, and files refused as not YAML.
    assert outcomes.count("syntax") >= 6
    assert len(outcomes) - outcomes.count("syntax") >= 20


def _shape(node: Node | None, open_nodes: frozenset[int] = frozenset()) -> Any:
    """A node tree as comparable plain data: kind, tag, value and where it starts."""
    if node is None:
        return None
    start = (node.start_mark.line, node.start_mark.column)
    if id(node) in open_nodes:
        return ("alias of an enclosing node", start)
    inner = open_nodes | {id(node)}
    if isinstance(node, MappingNode):
        items = [(_shape(key, inner), _shape(value, inner)) for key, value in node.value]
        return ("map", node.tag, start, items)
    if isinstance(node, SequenceNode):
        return ("seq", node.tag, start, [_shape(item, inner) for item in node.value])
    if node.value == "" and node.style is None:
        # Each parser places an empty value elsewhere; the loader marks it at its key.
        return ("empty", node.tag)
    # The pure loader marks where it folded a ">" scalar with a BEL; the loader drops it.
    value = node.value.replace("\a", "") if node.style == ">" else node.value
    return ("scalar", node.tag, start, value, node.style)


YAML_PIECES = st.sampled_from(
    [
        "a", "b: ", ": ", "- ", "\n", "  ", "\t", "'", '"', "[", "]", "{", "}", ",", "#", "&x ", "*x",
        "!!str ", "!t ", "|", ">", "? ", "1", "0x1", "yes", "~", "null", ".5", "é", "\u2028", "\r\n",
        "---\n", "...\n", "%YAML 1.2\n", "\\", "\x00", "<<: ", "2001-01-01",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(YAML_PIECES, max_size=40))
def test_the_fast_composer_builds_what_the_pure_one_does_or_leaves_it_to_it(pieces: list[str]) -> None:
    text = "".join(pieces)
    try:
        fast = _shape(compose(text, max_depth=64))
    except NotComposed:
        return  # the loader composes this text the pure way
    except TooDeep:
        return  # cannot be: 40 pieces do not nest 64 deep
    try:
        pure = _shape(YAML(typ="rt").compose(text))
    except (YAMLError, RecursionError):
        # libyaml reads a few odd texts that ruamel.yaml refuses, such as "|#" (a
        # comment straight after a block indicator): with the C parser, they are read.
        return
    assert fast == pure


DOCUMENTS = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(),
        st.text(max_size=12),
        st.sampled_from(["menu", "s-1", "+14155550100", "1", "no_input", "en-US", "x\n", "{{ name }}"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(
                st.text(max_size=8), st.sampled_from(["say", "gather", "on", "next", "digits", "type"])
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=25,
)
STEP_KEYS = st.sampled_from(
    ["say", "gather", "on", "next", "hangup", "set", "send_digits", "pause", "consult"]
)
FLOWS = st.fixed_dictionaries(
    {"version": st.sampled_from([1, 1.0, 2, "1", True]), "name": st.sampled_from(["x", "a-b", "Bad", "x\n"])},
    optional={
        "mode": st.sampled_from(["notify", "conversation", "other"]),
        "steps": st.dictionaries(
            st.sampled_from(["menu", "s1", "bad id", "s1\n"]),
            st.dictionaries(STEP_KEYS, DOCUMENTS),
            max_size=3,
        ),
        "inputs": DOCUMENTS,
        "greeting": DOCUMENTS,
        "start": DOCUMENTS,
    },
)


@settings(max_examples=400, deadline=None)
@given(data=FLOWS)
def test_jsonschema_rs_finds_no_document_valid_that_jsonschema_finds_invalid(data: dict[str, Any]) -> None:
    try:
        fast_valid = _verdict(FLOW_SCHEMA).is_valid(data)
    except ValueError:
        return  # check_schema walks it with jsonschema
    errors = list(_validator(FLOW_SCHEMA).iter_errors(data))
    if fast_valid:
        assert errors == []


def test_every_example_is_valid_to_both_validators() -> None:
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        if path.name.endswith(".test.yaml"):
            continue
        document, _ = load_document(path)
        assert _verdict(FLOW_SCHEMA).is_valid(document.data), path.name
        assert list(_validator(FLOW_SCHEMA).iter_errors(document.data)) == [], path.name


def test_a_flow_only_jsonschema_rs_refuses_is_still_valid() -> None:
    # Python's "$" also matches before a final newline; a step id "menu\n" passes the
    # step-id pattern for jsonschema, not for jsonschema-rs. The lint is jsonschema's.
    text = 'version: 1\nname: x\nmode: notify\nsteps:\n  "menu\\n": {say: Hi, hangup: true}\n'
    document, _ = parse_document(text, "f.yaml")
    assert not _verdict(FLOW_SCHEMA).is_valid(document.data)
    assert list(_validator(FLOW_SCHEMA).iter_errors(document.data)) == []


def test_a_syntax_error_is_worded_by_the_pure_loader() -> None:
    with pytest.raises(FlowSyntaxError) as caught:
        parse_document("a: [1, 2\n", "f.yaml")
    assert str(caught.value) == (
        "f.yaml:2:1: not valid YAML: while parsing a flow sequence; expected ',' or ']', but got '<stream end>'"
    )


def test_an_empty_value_is_marked_at_its_key() -> None:
    document, _ = parse_document("steps:\n  menu:\n    say:\n    next:   \n\n\nother: 1\n", "f.yaml")
    assert document.mark(("steps", "menu", "say")) == Mark(3, 5)
    assert document.mark(("steps", "menu", "next")) == Mark(4, 5)


def test_folded_text_reads_as_written() -> None:
    document, _ = parse_document("say: >-\n  Press one\n  for sales.\n", "f.yaml")
    assert document.data == {"say": "Press one for sales."}
