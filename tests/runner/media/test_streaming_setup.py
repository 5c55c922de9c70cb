"""``callflow serve`` with a streamed flow whose speech engines cannot be made: exit 2,
saying why, before it listens."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import PROJECT
from tests.runner.cli.serve_process import serve_command
from tests.runner.media.streamed_server import streaming_server
from tests.runner.providers.carrier_server import CarrierServer

FLOW = """\
version: 1
name: streamed
mode: conversation
audio: streaming
greeting: Hi.
steps:
  ask:
    say: Yes or no?
    gather: {input: [speech]}
    on: {"yes": done, "no": done}
  done:
    say: Thanks.
    hangup: true
"""


def test_a_streamed_flow_without_a_key_for_its_recognizer_is_exit_2_saying_why(tmp_path: Path) -> None:
    with CarrierServer() as carrier:
        server = streaming_server(tmp_path, carrier, FLOW, "audio: {stt: {engine: deepgram}}\n", start=False)
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("CALLFLOW_")},
        "PYTHONPATH": str(PROJECT),
    }
    result = subprocess.run(
        serve_command(server.config, "--allow-private-url"),
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert result.stderr == (
        "callflow serve: error: calls are streamed, but the speech engines cannot be made: "
        "Deepgram needs an API key (api_key)\n"
    )
