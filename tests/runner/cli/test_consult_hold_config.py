"""The config's agent.hold_seconds and agent.filler reach a real ``callflow serve``: a
slow agent's call is redirected while it thinks, and its reply is still heard."""

from __future__ import annotations

import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import CLI
from tests.runner.agent.stand_in import AgentStandIn
from tests.runner.cli.serve_process import ServeProcess

FRONT_DESK = """\
version: 1
name: front-desk
mode: conversation
to: "+14155550100"
greeting: Hello, this is the clinic.
steps:
  desk:
    consult:
      prompt: You speak for the clinic.
      max_turns: 1
    hangup: true
"""


@pytest.fixture
def stand_in() -> Iterator[AgentStandIn]:
    with AgentStandIn() as agent:
        yield agent


def redirects(server: ServeProcess) -> float:
    metrics = httpx.get(f"{server.base}/metrics", timeout=10).text
    line = next(line for line in metrics.splitlines() if line.startswith("callflow_agent_redirects_total "))
    return float(line.split()[1])


def test_a_slow_agent_is_waited_for_over_redirects_with_the_configured_hold(
    cli: CLI, tmp_path: Path, port: int, stand_in: AgentStandIn
) -> None:
    flow = tmp_path / "front-desk.yaml"
    flow.write_text(FRONT_DESK, encoding="utf-8")
    data_dir = tmp_path / "data"
    config = tmp_path / "callflow.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            provider: mock
            from_number: "+14155550199"
            serve: {{port: {port}}}
            flows: [{flow}]
            data_dir: {data_dir}
            agent:
              base_url: {stand_in.url}
              model: clinic-small
              hold_seconds: 0.2
              filler: Bear with me.
            """
        ),
        encoding="utf-8",
    )
    answer = threading.Event()
    stand_in.reply_when(answer, '{"spoken": "Friday at nine."}')
    server = ServeProcess(config, port).start()
    try:
        placed = cli("call", flow, "--input", "say:When can I come?", "--no-wait", "--config", config)
        assert placed.code == 0, placed.err
        call_id = placed.out.split()[1]
        deadline = time.monotonic() + 10
        while redirects(server) < 2:
            assert time.monotonic() < deadline, "the carrier was never redirected"
            time.sleep(0.02)
        answer.set()
        token = (data_dir / "control.token").read_text(encoding="utf-8").strip()
        record = httpx.post(
            f"{server.base}/api/calls/{call_id}/wait",
            json={"timeout": 20},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()
    finally:
        assert server.stop() == 0
    assert [(entry["speaker"], entry["text"]) for entry in record["transcript"]] == [
        ("bot", "Hello, this is the clinic."),
        ("caller", "When can I come?"),
        ("agent", "Friday at nine."),
    ]
    assert len(stand_in.requests) == 1
