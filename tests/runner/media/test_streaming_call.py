"""A streamed call through a real ``callflow serve``: the test is Twilio, posting the
answer webhook, then opening the media stream the answer asks for and speaking into it
with espeak-ng's voice, as real-time 8 kHz mu-law. The server recognizes the words
(offline Whisper), branches on them, speaks back (espeak-ng), and hangs up through
Twilio's REST API (a stand-in on 127.0.0.1)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.audio import FRAME_BYTES, decode
from tests.runner.cli.serve_process import TwilioServer, only_record
from tests.runner.media.streamed_server import answer, streaming_server
from tests.runner.media.twilio_side import TwilioMediaSide
from tests.runner.providers.carrier_server import CarrierServer
from tests.runner.speech.caller_speech import said

FLOW = """\
version: 1
name: confirm-line
mode: conversation
audio: streaming
greeting: Hello, this is the clinic.
steps:
  ask:
    say: Would you like to confirm or cancel your appointment?
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
def carrier() -> Iterator[CarrierServer]:
    with CarrierServer() as stand_in:
        yield stand_in


@pytest.fixture
def server(tmp_path: Path, carrier: CarrierServer) -> Iterator[TwilioServer]:
    running = streaming_server(tmp_path, carrier, FLOW)
    try:
        yield running
    finally:
        running.stop()


def test_the_callers_words_reach_the_flow_and_the_bot_answers_on_the_stream(
    server: TwilioServer, carrier: CarrierServer
) -> None:
    url, token = answer(server)
    carrier.answer(200, {"sid": "CA-in-1", "status": "completed"})

    async def call() -> TwilioMediaSide:
        async with TwilioMediaSide(url, token) as twilio:
            # The greeting and the question, each followed by its mark.
            await twilio.wait_for("the greeting and the question", lambda got: len(got.marks) >= 2)
            await twilio.say(said("I want to confirm"))
            await twilio.keep_silent(1.0)
            await twilio.wait_for("the confirmation", lambda got: len(got.marks) >= 3)
            await twilio.wait_for("the hang-up", lambda _: bool(carrier.requests))
            await twilio.stop()
        return twilio

    twilio = asyncio.run(call())
    received = twilio.received
    assert received.media
    assert all(len(frame) == FRAME_BYTES for frame in received.media)
    # Speech, not silence: the bot's audio has a voice's energy.
    assert max(abs(int(sample)) for sample in decode(b"".join(received.media))) > 2000
    assert received.marks == ["said-1", "said-2", "said-3"]
    (hang_up,) = carrier.requests
    assert hang_up.path.endswith("/Calls/CA-in-1.json")
    assert hang_up.form() == {"Status": ["completed"]}
    record = only_record(server.config.parent / "data")
    assert record.path == ["ask", "confirmed"]
    assert [entry.text for entry in record.transcript] == [
        "Hello, this is the clinic.",
        "Would you like to confirm or cancel your appointment?",
        record.transcript[2].text,
        "Your appointment is confirmed.",
    ]
    assert "confirm" in record.transcript[2].text.lower()
    assert record.end_reason is not None
    assert record.end_reason.value == "hangup-bot"
