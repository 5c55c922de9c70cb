from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CLI, EXAMPLES

FLOW = """
version: 1
name: yes-no
mode: conversation
steps:
  ask:
    say: Press 1.
    gather: {digits: 1, retries: 0}
    on: {"1": done}
  done:
    say: Thanks.
    hangup: true
"""


def test_the_examples_flow_tests_pass(cli: CLI) -> None:
    result = cli("test", EXAMPLES)
    assert result.code == 0, result.out
    assert result.out.splitlines()[-1] == "21 passed, 0 failed"


def test_a_failing_case_says_what_differs(cli: CLI, write_flow: Callable[..., Path]) -> None:
    write_flow(FLOW, "yes-no.yaml")
    tests = write_flow(
        """
        cases:
          - name: pressing 1 thanks the caller
            inputs: ["1"]
            expect: {path: [ask, done], says: [Thanks.], end_reason: hangup-bot}
          - name: wrong expectations
            inputs: ["2"]
            expect: {path: [ask, done], says: [Thanks.], end_reason: completed, digits_sent: ["1"]}
        """,
        "yes-no.test.yaml",
    )
    result = cli("test", tests)
    assert result.code == 1
    assert result.out.splitlines() == [
        str(tests),
        "  PASS  pressing 1 thanks the caller",
        "  FAIL  wrong expectations",
        "        path: expected [ask, done], got [ask]",
        "        end_reason: expected completed, got hangup-bot",
        "        digits_sent: expected [1], got []",
        "        says: 'Thanks.' was not spoken (in this order); spoken: [Press 1.]",
        "1 passed, 1 failed",
    ]


def test_a_case_that_cannot_run_fails_with_the_reason(cli: CLI, write_flow: Callable[..., Path]) -> None:
    write_flow(FLOW, "yes-no.yaml")
    tests = write_flow(
        'cases:\n  - name: bad input\n    inputs: ["press 1"]\n    expect: {end_reason: hangup-bot}\n',
        "yes-no.test.yaml",
    )
    result = cli("test", tests)
    assert result.code == 1
    assert (
        "        cannot run: expected keys (0-9 * #), say:TEXT, silence, wait:N or hangup as an input, found 'press 1'"
        in result.out.splitlines()
    )


def test_an_invalid_test_file_points_at_the_mistake(cli: CLI, write_flow: Callable[..., Path]) -> None:
    write_flow(FLOW, "yes-no.yaml")
    tests = write_flow(
        "cases:\n  - name: typo\n    expect: {end_reason: hangup-bot, pth: [ask]}\n", "yes-no.test.yaml"
    )
    result = cli("test", tests)
    assert result.code == 2
    assert (
        f"{tests}:3:38: error: unknown key 'pth' in cases.0.expect; did you mean 'path'? [unknown-key]"
        in result.err
    )
    assert f"  ERROR {tests} is not a valid flow test file" in result.out


def test_the_flow_under_test_must_exist(cli: CLI, write_flow: Callable[..., Path]) -> None:
    tests = write_flow("cases:\n  - name: x\n    expect: {end_reason: completed}\n", "absent.test.yaml")
    result = cli("test", tests)
    assert result.code == 2
    assert f"the flow under test: {tests.parent / 'absent.yaml'}: no such file" in result.out


def test_a_folder_without_test_files_is_a_usage_error(cli: CLI, tmp_path: Path) -> None:
    result = cli("test", tmp_path)
    assert result.code == 2
    assert "no flow test files (*.test.yaml) in this folder" in result.err


def test_a_flow_given_instead_of_its_tests_says_where_they_are(cli: CLI) -> None:
    flow = EXAMPLES / "appointment-reminder.yaml"
    result = cli("test", flow)
    assert result.code == 2
    assert result.out.splitlines() == [
        str(flow),
        f"  ERROR {flow} is a flow, not a flow test file; its tests are in {EXAMPLES / 'appointment-reminder.test.yaml'}",
        "0 passed, 0 failed",
    ]
    assert result.err == ""


def test_a_flow_without_tests_given_to_test_says_where_to_write_them(
    cli: CLI, write_flow: Callable[..., Path]
) -> None:
    flow = write_flow(FLOW, "yes-no.yaml")
    result = cli("test", flow)
    assert result.code == 2
    assert (
        f"  ERROR {flow} is a flow, not a flow test file; write its tests in "
        f"{flow.parent / 'yes-no.test.yaml'} (see docs/flow-tests.md)"
    ) in result.out.splitlines()
    assert result.err == ""


def test_agent_replies_in_a_test_file_are_read_as_the_server_reads_them(
    cli: CLI, write_flow: Callable[..., Path]
) -> None:
    tests = write_flow(
        f"""
        flow: {EXAMPLES / "meeting-dial-in.yaml"}
        cases:
          - name: the prose around the JSON is said
            vars: {{bridge: "+14155550100", pin: "4321"}}
            inputs: ["say:What is on the agenda?"]
            agent_replies: ['Here you go: {{"spoken": "The budget, then hiring."}}']
            expect:
              says: ["Here you go"]
        """,
        "meeting.test.yaml",
    )
    result = cli("test", tests)
    # The failure lists what was spoken: the reply's spoken words only.
    assert (result.code, result.out.splitlines()[1:]) == (
        1,
        [
            "  FAIL  the prose around the JSON is said",
            "        says: 'Here you go' was not spoken (in this order); spoken: "
            "[Hello, this is the assistant joining the meeting., The budget, then hiring.]",
            "0 passed, 1 failed",
        ],
    )
