"""``callflow speak|continue|dtmf|end`` on a live call of a real ``callflow serve``: each
says what it did, and steering an ended call is exit 1 with one message in all four."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.runner.cli.listening_call import REMINDER, mock_config, place_a_listening_call, record_of
from tests.runner.cli.serve_process import ServeProcess


@pytest.fixture
def server(tmp_path: Path, port: int) -> Iterator[ServeProcess]:
    running = ServeProcess(
        mock_config(tmp_path / "server", tmp_path / "data", port, [REMINDER]), port
    ).start()
    yield running
    assert running.stop() == 0


def test_each_command_says_what_it_did(cli: CLI, server: ServeProcess, tmp_path: Path) -> None:
    config = ("--config", server.config)
    call_id = place_a_listening_call(cli, server.config, tmp_path / "data")
    spoken = cli("speak", "--call-id", call_id, "Still there?", *config)
    assert (spoken.code, spoken.out, spoken.err) == (0, f"said into call {call_id}: Still there?\n", "")
    as_json = cli("speak", "--call-id", call_id, "Hello?", "--json", *config)
    assert (as_json.code, as_json.json()) == (0, {"id": call_id, "said": "Hello?"})
    silent = cli("continue", "--call-id", call_id, "Anyone?", "--timeout", "0.3", "--json", *config)
    assert (silent.code, silent.json()) == (0, {"id": call_id, "said": "Anyone?", "heard": None})
    sent = cli("dtmf", "--call-id", call_id, "ww9", *config)
    assert (sent.code, sent.out, sent.err) == (0, f"sent ww9 into call {call_id}\n", "")
    ended = cli("end", "--call-id", call_id, "--json", *config)
    assert (ended.code, ended.err) == (0, "")
    assert json.loads(ended.out) == {"id": call_id, "end_reason": "hangup-bot"}
    assert record_of(tmp_path / "data", call_id).end_reason == "hangup-bot"


def test_steering_an_ended_call_is_exit_1_with_the_same_message_in_every_command(
    cli: CLI, server: ServeProcess, tmp_path: Path
) -> None:
    config = ("--config", server.config)
    call_id = place_a_listening_call(cli, server.config, tmp_path / "data")
    ended = cli("end", "--call-id", call_id, *config)
    assert (ended.code, ended.out) == (0, f"call {call_id} ended: hangup-bot (hung up on mock)\n")
    for command in (["speak", "Hi"], ["continue", "Hi"], ["dtmf", "1"], ["end"]):
        result = cli(command[0], "--call-id", call_id, *command[1:], *config)
        assert (result.code, result.out) == (1, ""), command
        assert result.err == (
            f"callflow {command[0]}: error: call '{call_id}' cannot be steered: it has ended (hangup-bot)\n"
        )


def test_an_unknown_call_is_exit_1_naming_it(cli: CLI, server: ServeProcess) -> None:
    result = cli("end", "--call-id", "call-nope", "--config", server.config)
    assert (result.code, result.out, result.err) == (
        1,
        "",
        "callflow end: error: no call with id 'call-nope'\n",
    )


@pytest.mark.parametrize("command", ["speak", "continue", "dtmf", "end"])
def test_the_help_says_an_ended_call_is_exit_1_in_every_command(cli: CLI, command: str) -> None:
    result = cli(command, "--help")
    assert result.code == 0
    assert (
        "1 no server is running or the call cannot be steered: unknown, already ended (alike in "
        "speak, continue, dtmf and end)" in " ".join(result.out.split())
    )
