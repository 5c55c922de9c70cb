from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CLI, EXAMPLES


def test_graph_draws_steps_and_labelled_transitions(cli: CLI) -> None:
    result = cli("graph", EXAMPLES / "appointment-reminder.yaml")
    assert result.code == 0
    assert result.out == (
        "flowchart TD\n"
        '    start(["start"])\n'
        '    hangup(("hang up"))\n'
        '    greeting[/"greeting"/]\n'
        "    start --> greeting --> step0\n"
        '    step0{"menu"}\n'
        '    step1["confirmed"]\n'
        '    step2["cancelled"]\n'
        '    step3["goodbye"]\n'
        '    step0 -->|"1"| step1\n'
        '    step0 -->|"confirm"| step1\n'
        '    step0 -->|"2"| step2\n'
        '    step0 -->|"cancel"| step2\n'
        '    step0 -->|"no_input"| step3\n'
        '    step0 -->|"no_match"| step3\n'
        "    step1 --> hangup\n"
        "    step2 --> hangup\n"
        "    step3 --> hangup\n"
    )


def test_graph_of_a_notify_flow_without_steps(cli: CLI) -> None:
    result = cli("graph", EXAMPLES / "outage-notice.yaml")
    assert result.code == 0
    assert "    start --> greeting --> hangup\n" in result.out


def test_graph_quotes_labels_so_a_key_cannot_break_the_chart(
    cli: CLI, write_flow: Callable[[str], Path]
) -> None:
    flow = write_flow(
        """
        version: 1
        name: quoting
        mode: conversation
        steps:
          ask:
            say: Say yes.
            gather: {input: [speech]}
            on:
              'say "yes"': ask
        """
    )
    result = cli("graph", flow)
    assert result.code == 0, result.err
    assert '    step0 -->|"say #quot;yes#quot;"| step0\n' in result.out


def test_graph_of_a_broken_flow_prints_its_problems(cli: CLI, write_flow: Callable[[str], Path]) -> None:
    flow = write_flow("version: 1\nname: broken\nmode: conversation\n")
    result = cli("graph", flow)
    assert result.code == 1
    assert result.out == ""
    assert f"{flow}:1:1: error: missing required key 'steps'" in result.err
    assert "has 1 lint error(s); fix them first" in result.err


def test_graph_of_a_missing_file_is_a_usage_error(cli: CLI, tmp_path: Path) -> None:
    result = cli("graph", tmp_path / "absent.yaml")
    assert result.code == 2
    assert result.err == f"callflow graph: error: {tmp_path / 'absent.yaml'}: no such file\n"
