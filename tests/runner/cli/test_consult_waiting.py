"""A consult step with no agent in the config waits for someone outside, who can see what
it asks: through a real ``callflow serve`` on the mock carrier, the control API and
``callflow status`` show the rendered prompt and the caller's last words until
``callflow speak`` answers."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CLI
from tests.runner.cli.listening_call import mock_config
from tests.runner.cli.serve_process import ServeProcess

FRONT_DESK = """
version: 1
name: front-desk
mode: conversation
inputs:
  name: {type: string}
to: "+14155550100"
greeting: "Hello {{ name }}, this is the clinic."
steps:
  desk:
    consult:
      prompt: "You speak for the clinic to {{ name }}. Answer briefly."
      max_turns: 3
    hangup: true
"""
PROMPT = "You speak for the clinic to Ada. Answer briefly."
ASKED = "Can I move my appointment?"


@pytest.fixture
def server(tmp_path: Path, port: int) -> Iterator[ServeProcess]:
    flow = tmp_path / "front-desk.yaml"
    flow.write_text(textwrap.dedent(FRONT_DESK).lstrip(), encoding="utf-8")
    running = ServeProcess(mock_config(tmp_path / "server", tmp_path / "data", port, [flow]), port).start()
    yield running
    assert running.stop() == 0


def status_when(server: ServeProcess, data_dir: Path, call_id: str, waiting_for: str) -> dict[str, Any]:
    """GET /api/calls/{call_id} once the call waits for ``waiting_for``."""
    token = (data_dir / "control.token").read_text(encoding="utf-8").strip()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status: dict[str, Any] = httpx.get(
            f"{server.base}/api/calls/{call_id}", headers={"Authorization": f"Bearer {token}"}, timeout=5
        ).json()
        if status["waiting_for"] == waiting_for:
            return status
        time.sleep(0.02)
    raise AssertionError(f"call {call_id} never waited for the {waiting_for}")


def test_a_waiting_consult_shows_what_it_asks_until_speak_answers_it(
    cli: CLI, server: ServeProcess, tmp_path: Path
) -> None:
    config, data_dir = ("--config", server.config), tmp_path / "data"
    placed = cli(
        "call", tmp_path / "front-desk.yaml", "--var", "name=Ada", "--input", f"say:{ASKED}", "--input", "wait:20",
        "--no-wait", *config,
    )  # fmt: skip
    assert placed.code == 0, placed.err
    call_id = placed.out.split()[1]

    waiting = status_when(server, data_dir, call_id, "agent")
    assert set(waiting["consult"]) == {"prompt", "heard", "since"}
    assert (waiting["consult"]["prompt"], waiting["consult"]["heard"]) == (PROMPT, ASKED)
    assert waiting["created_at"] <= waiting["consult"]["since"]
    assert [(entry["speaker"], entry["text"]) for entry in waiting["transcript"]] == [
        ("bot", "Hello Ada, this is the clinic."),
        ("caller", ASKED),
    ]

    shown = cli("status", "--call-id", call_id, *config)
    assert (shown.code, shown.err) == (0, "")
    assert shown.out.splitlines()[-4:] == [
        "transcript:",
        "        bot: Hello Ada, this is the clinic.",
        f"  desk  caller: {ASKED}",
        f"waiting for the agent: {PROMPT}; the caller said: {ASKED}",
    ]
    as_json = cli("status", "--call-id", call_id, "--json", *config).json()
    assert as_json["consult"] == waiting["consult"]

    answered = cli("speak", "--call-id", call_id, "Yes: Friday at nine suits us.", *config)
    assert answered.code == 0, answered.err
    listening = status_when(server, data_dir, call_id, "caller")
    assert "consult" not in listening
    assert listening["transcript"][-1]["text"] == "Yes: Friday at nine suits us."
    after = cli("status", "--call-id", call_id, *config)
    assert after.out.splitlines()[-1] == "  desk  agent: Yes: Friday at nine suits us."
    assert "waiting for the agent" not in after.out
    assert cli("end", "--call-id", call_id, *config).code == 0
    assert "consult" not in cli("status", "--call-id", call_id, "--json", *config).json()
