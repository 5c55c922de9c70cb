"""The control API's speak on a streamed call of a real ``callflow serve``: the words are
spoken on the call's stream, with no redirect of the carrier, and the turn goes on."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.runner.cli.serve_process import only_record
from tests.runner.media.streamed_server import answer, streaming_server
from tests.runner.media.twilio_side import TwilioMediaSide, spoken_frames
from tests.runner.providers.carrier_server import CarrierServer

FLOW = """\
version: 1
name: keys
mode: conversation
audio: streaming
greeting: Hi.
steps:
  ask:
    say: Press one.
    gather: {input: [dtmf], digits: 1, timeout: 30}
    on: {"1": done, no_input: done}
  done:
    say: Done.
    hangup: true
"""


@pytest.fixture
def carrier() -> Iterator[CarrierServer]:
    with CarrierServer() as stand_in:
        stand_in.answer(200, {"sid": "CA-in-1", "status": "completed"})
        yield stand_in


def test_speak_is_said_on_the_stream_not_by_a_redirect(
    cli: CLI, tmp_path: Path, carrier: CarrierServer
) -> None:
    server = streaming_server(tmp_path, carrier, FLOW)
    data = server.config.parent / "data"
    try:
        url, token = answer(server)

        async def call() -> TwilioMediaSide:
            async with TwilioMediaSide(url, token) as twilio:
                await twilio.wait_for("the question", lambda got: len(got.marks) >= 2)
                call_id = only_record(data).id
                spoken = await asyncio.to_thread(
                    cli, "speak", "--call-id", call_id, "Still there?", "--config", server.config
                )
                assert (spoken.code, spoken.out) == (0, f"said into call {call_id}: Still there?\n")
                await twilio.wait_for("the words", lambda got: len(got.marks) >= 3)
                assert carrier.requests == []
                await twilio.press("1")
                await twilio.wait_for("the end", lambda got: len(got.marks) >= 4 and carrier.requests)
                await twilio.stop()
            return twilio

        received = asyncio.run(call()).received
    finally:
        server.stop()
    assert len(received.media) == sum(map(spoken_frames, ["Hi.", "Press one.", "Still there?", "Done."]))
    # The carrier was only told to hang up at the end.
    (hang_up,) = carrier.requests
    assert hang_up.form() == {"Status": ["completed"]}
    record = only_record(data)
    assert record.path == ["ask", "done"]
    assert "Still there?" in [entry.text for entry in record.transcript]
