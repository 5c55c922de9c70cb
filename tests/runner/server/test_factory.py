"""Which flows a server loads, as ``callflow serve`` and ``callflow call`` start one."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from tests.conftest import CLI, EXAMPLES, PROJECT
from tests.runner.cli.serve_process import ServeProcess, free_port

REMINDER_VARS = ("--var", "name=Ada", "--var", "phone=+14155550100")


@pytest.fixture
def port() -> int:
    return free_port()


def _mock_config(folder: Path, port: int, flows: str = "[]") -> Path:
    path = folder / "callflow.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            provider: mock
            serve: {{port: {port}}}
            flows: {flows}
            data_dir: {folder / "data"}
            """
        ),
        encoding="utf-8",
    )
    return path


def test_calling_a_flow_the_server_has_not_loaded_says_how_to_load_it(
    cli: CLI, tmp_path: Path, port: int
) -> None:
    running = ServeProcess(_mock_config(tmp_path, port), port).start()
    try:
        result = cli(
            "call", EXAMPLES / "appointment-reminder.yaml", *REMINDER_VARS, "--config", running.config
        )
    finally:
        running.stop()
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "callflow call: error: no flow named 'appointment-reminder' is loaded "
        "(loaded: callflow-message, callflow-message-conversation, callflow-message-dtmf, "
        "callflow-smoke-test); to load it, list its file under 'flows:' in the server's "
        "config (callflow.yaml by default) and restart 'callflow serve'\n"
    )


def test_a_relative_path_and_the_configs_path_to_one_flow_are_one_flow(
    cli: CLI, tmp_path: Path, port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _mock_config(tmp_path, port, flows=f"[{EXAMPLES / 'appointment-reminder.yaml'}]")
    monkeypatch.chdir(PROJECT)
    result = cli(
        "call", "examples/appointment-reminder.yaml", *REMINDER_VARS, "--input", "1", "--config", config
    )
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1].startswith("ended: hangup-bot after ")


def test_two_files_with_one_flow_name_stop_start_up(cli: CLI, tmp_path: Path, port: int) -> None:
    copy = tmp_path / "copy.yaml"
    shutil.copy(EXAMPLES / "appointment-reminder.yaml", copy)
    config = _mock_config(tmp_path, port, flows=f"[{EXAMPLES / 'appointment-reminder.yaml'}]")
    result = cli("call", copy, *REMINDER_VARS, "--config", config)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "callflow call: error: two flows are named 'appointment-reminder': "
        f"{EXAMPLES / 'appointment-reminder.yaml'} and {copy}\n"
    )
