from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

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
    assert result.out.splitlines()[-1] == "checked 1 file: 1 could not be read"


def test_a_file_that_cannot_be_read_is_counted_never_no_problems(cli: CLI, tmp_path: Path) -> None:
    flow = tmp_path / "latin1.yaml"
    flow.write_bytes(b"version: 1\nname: caf\xe9\n")
    result = cli("lint", flow)
    assert result.code == 2
    assert result.err == f"callflow lint: error: {flow}: not UTF-8 text (byte 20)\n"
    assert result.out == "checked 1 file: 1 could not be read\n"


def test_each_missing_required_key_is_reported_once(cli: CLI, write_flow: Callable[[str], Path]) -> None:
    flow = write_flow("steps:\n  main:\n    say: Hi.\n")
    result = cli("lint", flow)
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{flow}:1:1: error: missing required key 'name' [missing-key]",
        f"{flow}:1:1: error: missing required key 'version' [missing-key]",
        "checked 1 file: 2 errors",
    ]


def test_flow_tests_named_one_by_one_are_skipped_and_counted(cli: CLI) -> None:
    # What the shell makes of `callflow lint examples/*.yaml`.
    named = sorted(EXAMPLES.glob("*.yaml"))
    tests = [path for path in named if path.name.endswith(".test.yaml")]
    assert tests
    assert len(tests) < len(named)
    result = cli("lint", *named)
    assert (result.code, result.err) == (0, "")
    flows = len(named) - len(tests)
    assert result.out == (
        f"checked {flows} files: no problems ({len(tests)} flow tests left to callflow test)\n"
    )
    report = cli("lint", "--json", *named).json()
    assert report["skipped_tests"] == [str(path) for path in tests]
    assert len(report["files"]) == flows


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
    one_line = " ".join(result.out.split())
    assert "Lint skips them in a folder, and also when they are named one by one" in one_line


CARRIER_FLOW = """\
version: 1
name: bridge
mode: conversation
defaults: {timeout: 3}
dtmf_sequence: "W1234#"
steps:
  menu:
    say: Press 1.
    gather: {digits: 1, timeout: 4}
    on:
      "1": wait
  wait:
    say: "{{ call.id }}"
    pause: 2
    gather: {input: [speech]}
    on:
      any: agent
  agent:
    consult: {prompt: Help the caller., listen: 200}
    next: bye
  bye:
    say: Bye.
    hangup: true
"""
PLIVO_TIMEOUT = "plivo: <GetInput> executionTimeout takes 5 to 60 s"
NO_W = "there is no W (wait a second) in its digits: 'W1234#' is sent as 'ww1234#' [carrier-adjusts]"


@pytest.mark.parametrize(
    ("provider", "lines"),
    [
        (
            "plivo",
            [
                f"4:21: warning: step 'wait': {PLIVO_TIMEOUT}: a timeout of 3 s is 5 s [carrier-adjusts]",
                f"9:34: warning: step 'menu': {PLIVO_TIMEOUT}: a timeout of 4 s is 5 s [carrier-adjusts]",
                f"19:49: warning: step 'agent': {PLIVO_TIMEOUT}: a timeout of 200 s is 60 s [carrier-adjusts]",
            ],
        ),
        (
            "telnyx",
            [
                f"5:16: warning: dtmf_sequence: telnyx: {NO_W}",
                "19:49: warning: step 'agent': telnyx: <Gather> timeout takes 1 to 120 s: "
                "a timeout of 200 s is 120 s [carrier-adjusts]",
            ],
        ),
        ("mock", [f"5:16: warning: dtmf_sequence: twilio: {NO_W}"]),
    ],
)
def test_lint_with_a_provider_warns_of_each_value_the_carrier_moves(
    cli: CLI, write_flow: Callable[[str], Path], provider: str, lines: list[str]
) -> None:
    flow = write_flow(CARRIER_FLOW)
    result = cli("lint", "--provider", provider, flow)
    assert (result.code, result.err) == (0, "")
    count = len(lines)
    assert result.out.splitlines() == [
        *(f"{flow}:{line}" for line in lines),
        f"checked 1 file: {count} warning{'s' if count != 1 else ''}",
    ]
    assert cli("lint", "--provider", provider, "--strict", flow).code == 1
    assert cli("lint", flow).out == "checked 1 file: no problems\n"


def test_lint_with_a_provider_moves_pauses_and_refuses_a_comma_in_a_hint(
    cli: CLI, write_flow: Callable[[str], Path]
) -> None:
    flow = write_flow(
        """
        version: 1
        name: dial
        mode: conversation
        steps:
          dial:
            send_digits: "12,3"
            gather: {input: [speech], hints: [yes, "no, thanks"]}
            on: {any: bye}
          bye:
            say: Bye.
        """
    )
    result = cli("lint", "--provider", "twilio", "--json", flow)
    assert result.code == 1
    report = result.json()
    assert (report["errors"], report["warnings"]) == (1, 1)
    assert [(p["line"], p["column"], p["rule"], p["message"]) for p in report["problems"]] == [
        (
            6,
            18,
            "carrier-adjusts",
            "step 'dial': twilio: p, P and , pause a second, as W does; there is no W (wait a second) "
            "in its digits: '12,3' is sent as '12ww3'",
        ),
        (
            7,
            44,
            "carrier-refuses",
            "step 'dial': twilio: <Gather> hint 'no, thanks' has a comma, which separates one hint from the next",
        ),
    ]


def test_lint_checks_a_flow_against_the_carrier_only_once_it_lints_clean(
    cli: CLI, write_flow: Callable[[str], Path]
) -> None:
    flow = write_flow(TYPO_FLOW.replace("gather: {digits: 1}", "gather: {digits: 1, timeout: 1}"))
    result = cli("lint", "--provider", "plivo", flow)
    assert result.code == 1
    assert "carrier-adjusts" not in result.out
    assert result.out.endswith("checked 1 file: 1 error, 1 warning\n")


def test_lint_knows_only_the_carriers(cli: CLI, write_flow: Callable[[str], Path]) -> None:
    result = cli("lint", "--provider", "vonage", write_flow(WARNING_ONLY_FLOW))
    assert result.code == 2
    assert (
        "argument --provider: invalid choice: 'vonage' (choose from 'twilio', 'plivo', 'telnyx', 'mock')"
        in result.err
    )


def test_lint_with_a_provider_refuses_a_literal_text_over_the_carriers_limit(
    cli: CLI, write_flow: Callable[[str], Path]
) -> None:
    flow = write_flow(
        f"""
        version: 1
        name: long
        voice: {{name: Polly.Joanna}}
        greeting: "{"x" * 3001}"
        steps:
          main:
            say: ["Hi.", "{"y" * 3001}", "{{{{ call.id }}}}{"z" * 3001}"]
        """
    )
    result = cli("lint", "--provider", "twilio", flow)
    assert result.code == 1
    over = "characters long, over the limit of 3,000 for Polly voices"
    assert result.out.splitlines() == [
        f"{flow}:4:11: error: greeting: twilio: <Say> text is 3,001 {over} (it starts '{'x' * 24}...') "
        "[carrier-refuses]",
        f"{flow}:7:18: error: step 'main': twilio: <Say> text is 3,001 {over} (it starts '{'y' * 24}...') "
        "[carrier-refuses]",
        "checked 1 file: 2 errors",
    ]
    assert cli("lint", "--provider", "plivo", flow).code == 0


VOICE_FLOW = """\
version: 1
name: voiced
voice: {{name: {voice}, language: en-US}}
greeting: Hello.
steps:
  main:
    say: [One., Two.]
"""
PLIVO_VOICES = "MAN, WOMAN or Polly.<name>"


@pytest.mark.parametrize(
    ("provider", "voice", "lines"),
    [
        (
            "plivo",
            "alice",
            [
                f"3:15: error: voice: plivo: <Speak> voice 'alice' is not a Plivo voice; it takes {PLIVO_VOICES} "
                "[carrier-refuses]",
                "checked 1 file: 1 error",
            ],
        ),
        (
            "plivo",
            "woman",
            [
                f"3:15: warning: voice: plivo: <Speak> voice takes {PLIVO_VOICES}: 'woman' is sent as 'WOMAN' "
                "[carrier-adjusts]",
                "checked 1 file: 1 warning",
            ],
        ),
        ("plivo", "Polly.Joanna", ["checked 1 file: no problems"]),
        ("twilio", "alice", ["checked 1 file: no problems"]),
        ("telnyx", "alice", ["checked 1 file: no problems"]),
    ],
)
def test_lint_with_a_provider_checks_the_voice_once_where_it_is_written(
    cli: CLI, write_flow: Callable[[str], Path], provider: str, voice: str, lines: list[str]
) -> None:
    flow = write_flow(VOICE_FLOW.format(voice=voice))
    result = cli("lint", "--provider", provider, flow)
    assert result.out.splitlines() == [f"{flow}:{line}" if line[0].isdigit() else line for line in lines]
    assert result.code == (1 if "error" in lines[0] else 0)


def test_a_voice_the_carrier_does_not_have_is_refused_before_the_call(
    cli: CLI, write_flow: Callable[[str], Path]
) -> None:
    flow = write_flow(VOICE_FLOW.format(voice="alice"))
    result = cli("render", flow, "--provider", "plivo")
    assert result.code == 1
    assert result.err == (
        f"callflow render: error: plivo: <Speak> voice 'alice' is not a Plivo voice; it takes {PLIVO_VOICES}\n"
    )
    woman = cli("render", write_flow(VOICE_FLOW.format(voice="woman")), "--provider", "plivo")
    assert '<Speak voice="WOMAN" language="en-US">Hello.</Speak>' in woman.out
