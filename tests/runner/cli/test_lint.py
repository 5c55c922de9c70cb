from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CLI, EXAMPLES

TYPO_FLOW = """\
version: 1
name: typo
mode: conversation
steps:
  menu:
    say: Press 1.
    gather: {digits: 1}
    on:
      "1": confimred
  confirmed:
    say: Bye.
    hangup: true
"""

WARNING_ONLY_FLOW = """\
version: 1
name: warn
mode: conversation
steps:
  main:
    say: Hi.
  spare:
    say: Never reached.
"""


def test_problem_lines_name_file_line_column_severity_and_rule(
    cli: CLI, write_flow: Callable[[str], Path]
) -> None:
    flow = write_flow(TYPO_FLOW)
    result = cli("lint", flow)
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{flow}:9:12: error: expected a step id in step 'menu' (on.1), found 'confimred'; "
        "did you mean 'confirmed'? [unknown-step]",
        f"{flow}:10:3: warning: step 'confirmed' is never reached from the start step 'menu' [unreachable-step]",
        "checked 1 file: 1 error, 1 warning",
    ]
    assert result.err == ""


def test_json_output_lists_every_problem(cli: CLI, write_flow: Callable[[str], Path]) -> None:
    flow = write_flow(TYPO_FLOW)
    report = cli("lint", "--json", flow).json()
    assert report["files"] == [str(flow)]
    assert (report["errors"], report["warnings"], report["failures"]) == (1, 1, [])
    assert report["problems"][0] == {
        "file": str(flow),
        "line": 9,
        "column": 12,
        "severity": "error",
        "rule": "unknown-step",
        "message": "expected a step id in step 'menu' (on.1), found 'confimred'; did you mean 'confirmed'?",
    }


def test_warnings_pass_unless_strict(cli: CLI, write_flow: Callable[[str], Path]) -> None:
    flow = write_flow(WARNING_ONLY_FLOW)
    assert cli("lint", flow).code == 0
    strict = cli("lint", "--strict", flow)
    assert strict.code == 1
    assert strict.out.splitlines()[-1] == "checked 1 file: 1 warning"


def test_a_folder_is_searched_for_flows_but_not_flow_tests(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "b.yml").write_text("version: 1\nname: b\n", encoding="utf-8")
    (tmp_path / "a.yaml").write_text("version: 1\nname: a\n", encoding="utf-8")
    (tmp_path / "a.test.yaml").write_text("cases: []\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a flow\n", encoding="utf-8")
    report = cli("lint", "--json", tmp_path).json()
    assert report["files"] == [str(tmp_path / "a.yaml"), str(tmp_path / "nested" / "b.yml")]


def test_problems_are_sorted_by_file_then_line(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("version: 1\nname: B\n", encoding="utf-8")
    (tmp_path / "a.yaml").write_text("version: 2\nname: A\n", encoding="utf-8")
    problems = cli("lint", "--json", tmp_path / "b.yaml", tmp_path / "a.yaml").json()["problems"]
    assert [(Path(p["file"]).name, p["line"]) for p in problems] == [
        ("a.yaml", 1),
        ("a.yaml", 2),
        ("b.yaml", 2),
    ]


def test_a_missing_file_is_exit_2_with_one_line(cli: CLI, tmp_path: Path) -> None:
    result = cli("lint", tmp_path / "absent.yaml", EXAMPLES / "outage-notice.yaml")
    assert result.code == 2
    assert result.err == f"callflow lint: error: {tmp_path / 'absent.yaml'}: no such file or folder\n"
    assert result.out.splitlines()[-1] == "checked 1 file: no problems"


def test_a_folder_without_flows_is_exit_2(cli: CLI, tmp_path: Path) -> None:
    result = cli("lint", tmp_path)
    assert result.code == 2
    assert "no flow files (*.yaml, *.yml) in this folder" in result.err


def test_a_file_that_is_not_yaml_is_exit_2_and_still_positioned(
    cli: CLI, write_flow: Callable[[str], Path]
) -> None:
    flow = write_flow("version: 1\nname: 'open\n")
    result = cli("lint", flow)
    assert result.code == 2
    assert result.out.startswith(f"{flow}:3:1: error: not valid YAML: ")
    assert "[yaml-syntax]" in result.out


def test_no_paths_is_a_usage_error(cli: CLI) -> None:
    result = cli("lint")
    assert result.code == 2
    assert "the following arguments are required: PATH" in result.err
    assert "Traceback" not in result.err


def test_help_explains_output_and_exit_codes(cli: CLI) -> None:
    result = cli("lint", "--help")
    assert result.code == 0
    assert "FILE:LINE:COLUMN: error|warning: MESSAGE [RULE]" in result.out
    assert "exit status: 0 no errors" in result.out
