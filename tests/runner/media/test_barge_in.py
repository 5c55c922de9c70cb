"""Barge-in through a real ``callflow serve``: the caller speaking over a step's prompt
stops it (``clear``, no more of its audio) and answers the turn; a step with
``barge_in: false`` and the greeting play out, and words said over them are no answer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runner.cli.serve_process import only_record
from tests.runner.media.streamed_server import answer, streaming_server
from tests.runner.media.twilio_side import Received, TwilioMediaSide, frames_after, spoken_frames
from tests.runner.providers.carrier_server import CarrierServer
from tests.runner.speech.caller_speech import said

GREETING = "Hello, you have reached the clinic of doctor Smith. Thank you for calling us today."
PROMPT = (
    "Please tell me whether you would like to confirm your appointment for next Tuesday "
    "at ten in the morning, or whether you would like to cancel it."
)


def flow(barge_in: str) -> str:
    return f"""\
version: 1
name: barge
mode: conversation
audio: streaming
greeting: {GREETING}
steps:
  ask:
    say: {PROMPT}
    {barge_in}
    gather: {{input: [speech], timeout: 1, retries: 0}}
    on: {{confirm: confirmed, cancel: cancelled, no_input: silent, no_match: silent}}
  confirmed:
    say: Confirmed.
    hangup: true
  cancelled:
    say: Cancelled.
    hangup: true
  silent:
    say: Goodbye.
    hangup: true
"""


@pytest.fixture
def carrier() -> Iterator[CarrierServer]:
    with CarrierServer() as stand_in:
        stand_in.answer(200, {"sid": "CA-in-1", "status": "completed"})
        yield stand_in


def prompt_playing(received: Received) -> bool:
    """The greeting was heard and a second of the prompt has been sent."""
    return "said-1" in received.marks and frames_after(received, "mark") >= 50


def test_the_caller_speaking_over_a_prompt_stops_it_and_answers_the_turn(
    tmp_path: Path, carrier: CarrierServer
) -> None:
    server = streaming_server(tmp_path, carrier, flow(""))
    try:
        url, token = answer(server)

        async def call() -> TwilioMediaSide:
            async with TwilioMediaSide(url, token) as twilio:
                await twilio.wait_for("the greeting", lambda got: bool(got.media))
                # Said over the greeting: it plays on, and the words are no answer.
                await twilio.say(said("cancel"))
                await twilio.keep_silent(0.8)
                await twilio.wait_for("the prompt", prompt_playing)
                assert twilio.received.clears == 0
                await twilio.say(said("I want to confirm"))
                await twilio.keep_silent(1.0)
                await twilio.wait_for("the answer", lambda got: "said-3" in got.marks and carrier.requests)
                await twilio.stop()
            return twilio

        received = asyncio.run(call()).received
    finally:
        server.stop()
    assert received.clears == 1
    # The prompt was cut: its mark never came, and after the clear only the answer played.
    assert received.marks == ["said-1", "said-3"]
    assert frames_after(received, "clear") == spoken_frames("Confirmed.")
    record = only_record(server.config.parent / "data")
    assert record.path == ["ask", "confirmed"]
    assert record.end_reason is not None
    assert record.end_reason.value == "hangup-bot"


def test_words_over_a_step_that_may_not_be_interrupted_are_no_answer(
    tmp_path: Path, carrier: CarrierServer
) -> None:
    server = streaming_server(tmp_path, carrier, flow("barge_in: false"))
    try:
        url, token = answer(server)

        async def call() -> TwilioMediaSide:
            async with TwilioMediaSide(url, token) as twilio:
                await twilio.wait_for("the prompt", prompt_playing)
                await twilio.say(said("I want to confirm"))
                await twilio.keep_silent(0.8)
                await twilio.wait_for("the prompt heard", lambda got: "said-2" in got.marks)
                await twilio.wait_for("the goodbye", lambda got: "said-3" in got.marks and carrier.requests)
                await twilio.stop()
            return twilio

        received = asyncio.run(call()).received
    finally:
        server.stop()
    assert received.clears == 0
    assert received.marks == ["said-1", "said-2", "said-3"]
    assert received.order.count("media") == sum(map(spoken_frames, [GREETING, PROMPT, "Goodbye."]))
    record = only_record(server.config.parent / "data")
    # Heard over the prompt, the words did not answer: the turn timed out silent.
    assert record.path == ["ask", "silent"]
