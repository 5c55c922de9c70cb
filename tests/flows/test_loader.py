from __future__ import annotations

from pathlib import Path

import pytest

from flows import FlowFileError, FlowSyntaxError, Mark, load_document, parse_document
from flows._loader import MAX_DEPTH, MAX_NODES


def test_every_key_and_value_keeps_its_line_and_column() -> None:
    document, problems = parse_document("version: 1\nsteps:\n  menu:\n    say: [Hi, There]\n", "f.yaml")
    assert problems == []
    assert document.key_mark(("steps", "menu")) == Mark(3, 3)
    assert document.mark(("steps", "menu", "say")) == Mark(4, 10)
    assert document.mark(("steps", "menu", "say", 1)) == Mark(4, 15)


def test_unknown_paths_fall_back_to_the_nearest_ancestor() -> None:
    document, _ = parse_document("steps:\n  menu: {say: Hi}\n", "f.yaml")
    assert document.mark(("steps", "menu", "gather", "digits")) == Mark(2, 9)
    assert document.mark(()) == Mark(1, 1)


def test_scalars_become_plain_json_values() -> None:
    document, problems = parse_document(
        "a: 0x1F\nb: 1_000\nc: .inf\nd: true\ne: ~\nf: yes\ng: 2001-01-01\nh: '07'\n", "f.yaml"
    )
    assert problems == []
    assert document.data == {
        "a": 31,
        "b": 1000,
        "c": float("inf"),
        "d": True,
        "e": None,
        "f": "yes",
        "g": "2001-01-01",
        "h": "07",
    }
    assert type(document.get(("a",))) is int


def test_a_tag_cannot_make_the_loader_build_objects() -> None:
    document, problems = parse_document("a: !!python/object:os.system echo\n", "f.yaml")
    assert document.data == {"a": "echo"}
    assert [problem.rule for problem in problems] == ["yaml-tag"]
    assert "python/object:os.system" in problems[0].message


def test_merge_keys_fill_in_what_the_mapping_does_not_say() -> None:
    text = "base: &base {timeout: 5, retries: 1}\ngather:\n  <<: *base\n  retries: 3\n"
    document, problems = parse_document(text, "f.yaml")
    assert problems == []
    assert document.get(("gather",)) == {"retries": 3, "timeout": 5}


def test_an_alias_bomb_is_refused_not_expanded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(FlowSyntaxError, match=f"too large or too deeply nested.*{MAX_NODES}"):
        parse_document("\n".join(lines) + "\n", "bomb.yaml")


def test_deep_nesting_is_refused_at_the_first_collection_too_deep() -> None:
    text = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    with pytest.raises(FlowSyntaxError, match="deeply nested") as caught:
        parse_document(text, "deep.yaml")
    # The root mapping is depth 0 and the first bracket (column 4) depth 1.
    assert caught.value.mark == Mark(1, 4 + MAX_DEPTH)


def test_block_nesting_thousands_deep_is_refused_where_it_goes_too_deep() -> None:
    # "- - - x" nests a list in a list without a bracket: 2,000 deep, past Python's stack.
    with pytest.raises(FlowSyntaxError, match="deeply nested") as caught:
        parse_document("- " * 2000 + "x\n", "deep.yaml")
    # The first dash (column 1) is the root list, at depth 0; each next one is 2 columns on.
    assert caught.value.mark == Mark(1, 1 + 2 * (MAX_DEPTH + 1))


def test_syntax_error_carries_its_position() -> None:
    with pytest.raises(FlowSyntaxError) as caught:
        parse_document("version: 1\nsteps:\n  menu:\n    say: 'unclosed\n", "f.yaml")
    assert caught.value.file == "f.yaml"
    assert caught.value.mark.line == 5
    assert caught.value.reason.startswith("not valid YAML: ")


def test_several_documents_in_one_file_are_not_a_flow() -> None:
    with pytest.raises(FlowSyntaxError, match="expected a single document"):
        parse_document("a: 1\n---\nb: 2\n", "f.yaml")


def test_an_empty_file_is_a_document_without_data() -> None:
    document, problems = parse_document("# only a comment\n", "f.yaml")
    assert document.data is None
    assert problems == []


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(FlowFileError, match="no such file"):
        load_document(tmp_path / "absent.yaml")


def test_a_binary_file_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(FlowFileError, match="not UTF-8 text"):
        load_document(path)


def test_a_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffversion: 1\n".encode())
    document, _ = load_document(path)
    assert document.data == {"version": 1}
