"""``callflow call`` of a streamed flow on the mock carrier, the embedded default: the
server answers with ``<Connect><Stream>``, and the mock carrier plays the callee on the
media stream as Twilio would, in espeak-ng's voice and with DTMF messages. The server
hears it with the offline recognizer and answers in its own voice."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.runner.cli.listening_call import mock_config

FLOW = """\
version: 1
name: confirm-line
mode: conversation
audio: streaming
to: "+14155550100"
greeting: Hello, this is the clinic.
steps:
  ask:
    say: Say confirm or cancel, or press 1.
    gather: {input: [speech, dtmf], digits: 1, timeout: 8}
    on:
      confirm: confirmed
      cancel: cancelled
      "1": confirmed
      no_input: goodbye
      no_match: goodbye
  confirmed:
    say: Your appointment is confirmed.
    hangup: true
  cancelled:
    say: Your appointment is cancelled.
    hangup: true
  goodbye:
    say: Goodbye.
    hangup: true
"""


@pytest.fixture
def flow(tmp_path: Path) -> Path:
    path = tmp_path / "confirm-line.yaml"
    path.write_text(FLOW, encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path, port: int) -> Path:
    return mock_config(tmp_path / "config", tmp_path / "data", port, [])


def test_the_callees_words_on_the_stream_reach_the_flow_and_the_bot_hangs_up(
    cli: CLI, flow: Path, config: Path
) -> None:
    result = cli("call", flow, "--input", "say:I want to confirm", "--config", config)

    assert result.code == 0, result.err
    placed, heading, greeting, question, heard, answer, ended = result.out.splitlines()
    assert placed.startswith("call call-")
    assert heading.startswith("confirm-line: outbound call to +14155550100 (on mock, id call-")
    assert greeting == "  bot    Hello, this is the clinic."
    assert question == "  bot    [ask] Say confirm or cancel, or press 1."
    # Whisper's words, as recognized from espeak-ng's voice through 8 kHz mu-law.
    assert heard.startswith("  caller [ask] ")
    assert "confirm" in heard.lower()
    assert answer == "  bot    [confirmed] Your appointment is confirmed."
    assert ended.startswith("ended: hangup-bot after ")
    assert ended.endswith("; path: ask > confirmed")


def test_the_callees_keys_go_as_dtmf_messages(cli: CLI, flow: Path, config: Path) -> None:
    result = cli("call", flow, "--input", "1", "--config", config)

    assert result.code == 0, result.err
    *_, heard, answer, ended = result.out.splitlines()
    assert heard == "  caller [ask] 1"
    assert answer == "  bot    [confirmed] Your appointment is confirmed."
    assert ended.startswith("ended: hangup-bot after ")
    assert ended.endswith("; path: ask > confirmed")


def test_out_of_script_the_callee_hangs_up_after_the_prompt(cli: CLI, flow: Path, config: Path) -> None:
    result = cli("call", flow, "--config", config)

    assert result.code == 0, result.err
    *_, question, ended = result.out.splitlines()
    assert question == "  bot    [ask] Say confirm or cancel, or press 1."
    assert ended.startswith("ended: hangup-user after ")
    assert ended.endswith("; path: ask")
