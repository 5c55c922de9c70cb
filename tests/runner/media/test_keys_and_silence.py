"""Turns on the streaming path through a real ``callflow serve``: keys pressed on the
stream (``dtmf`` messages) answer a gather, one key or several ended by ``#``; a caller
who says nothing gets ``no_input`` once the gather's timeout has passed after the prompt."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runner.cli.serve_process import only_record
from tests.runner.media.streamed_server import answer, streaming_server
from tests.runner.media.twilio_side import TwilioMediaSide
from tests.runner.providers.carrier_server import CarrierServer

KEYS = """\
version: 1
name: keys
mode: conversation
audio: streaming
greeting: Hi.
steps:
  menu:
    say: Press one.
    gather: {input: [dtmf], digits: 1, timeout: 30}
    on: {"1": code, no_input: wrong}
  code:
    say: Your code, then the hash key.
    gather: {input: [dtmf], finish_on_key: "#", timeout: 30}
    on: {"42": right, no_match: wrong, no_input: wrong}
  right:
    say: Right.
    hangup: true
  wrong:
    say: Wrong.
    hangup: true
"""

SILENT = """\
version: 1
name: silent
mode: conversation
audio: streaming
greeting: Hi.
steps:
  ask:
    say: Please say something after this rather long question.
    gather: {input: [speech, dtmf], timeout: 1, retries: 0}
    on: {"1": pressed, no_input: silent}
  pressed:
    say: Pressed.
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


def test_keys_on_the_stream_answer_one_key_and_many_ended_by_hash(
    tmp_path: Path, carrier: CarrierServer
) -> None:
    server = streaming_server(tmp_path, carrier, KEYS)
    try:
        url, token = answer(server)

        async def call() -> None:
            async with TwilioMediaSide(url, token) as twilio:
                await twilio.wait_for("the menu", lambda got: len(got.marks) >= 2)
                await twilio.press("1")
                await twilio.wait_for("the code's prompt", lambda got: len(got.marks) >= 3)
                for digit in "42#":
                    await twilio.press(digit)
                await twilio.wait_for("the answer", lambda got: len(got.marks) >= 4 and carrier.requests)
                await twilio.stop()

        asyncio.run(call())
    finally:
        server.stop()
    record = only_record(server.config.parent / "data")
    assert record.path == ["menu", "code", "right"]
    assert record.transcript[-1].text == "Right."


def test_silence_is_no_input_once_the_timeout_passed_after_the_prompt(
    tmp_path: Path, carrier: CarrierServer
) -> None:
    server = streaming_server(tmp_path, carrier, SILENT)
    try:
        url, token = answer(server)

        async def call() -> TwilioMediaSide:
            async with TwilioMediaSide(url, token) as twilio:
                await twilio.wait_for("the goodbye", lambda got: len(got.marks) >= 3 and carrier.requests)
                await twilio.stop()
            return twilio

        received = asyncio.run(call()).received
    finally:
        server.stop()
    record = only_record(server.config.parent / "data")
    assert record.path == ["ask", "silent"]
    assert record.transcript[-1].text == "Goodbye."
    # The second of silence counted from the end of the question (its mark came back), not its start.
    order, times = received.order, received.times
    question_heard = [index for index, event in enumerate(order) if event == "mark"][1]
    goodbye_starts = order.index("media", question_heard)
    assert times[goodbye_starts] - times[question_heard] >= 1.0
