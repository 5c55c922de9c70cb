"""A transfer on a streamed call, through a real ``callflow serve``: once the last words
are heard, the carrier is redirected (REST) to the webhook's resume URL, and that URL,
posted as Twilio would, answers a document that dials the number."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.runner.media.streamed_server import answer, caller, streaming_server
from tests.runner.media.twilio_side import TwilioMediaSide
from tests.runner.providers.carrier_server import CarrierServer

FLOW = """\
version: 1
name: transfer
mode: conversation
audio: streaming
greeting: Hi.
steps:
  ask:
    say: Press one for the front desk.
    gather: {input: [dtmf], digits: 1, timeout: 30}
    on: {"1": send, no_input: send}
  send:
    say: Connecting you.
    transfer: "+14155550123"
"""


@pytest.fixture
def carrier() -> Iterator[CarrierServer]:
    with CarrierServer() as stand_in:
        stand_in.answer(200, {"sid": "CA-in-1", "status": "in-progress"})
        yield stand_in


def test_a_transfer_redirects_the_carrier_to_a_document_that_dials(
    tmp_path: Path, carrier: CarrierServer
) -> None:
    server = streaming_server(tmp_path, carrier, FLOW)
    try:
        url, token = answer(server)

        async def call() -> TwilioMediaSide:
            async with TwilioMediaSide(url, token) as twilio:
                await twilio.wait_for("the question", lambda got: len(got.marks) >= 2)
                await twilio.press("1")
                await twilio.wait_for("the redirect", lambda _: bool(carrier.requests))
                # The carrier moves the call on: the stream stops.
                await twilio.stop()
            return twilio

        received = asyncio.run(call()).received
        # The last words were heard before the carrier took the call back.
        assert received.marks == ["said-1", "said-2", "said-3"]
        (redirect,) = carrier.requests
        assert redirect.path.endswith("/Calls/CA-in-1.json")
        form = redirect.form()
        assert form["Method"] == ["POST"]
        (resume,) = form["Url"]
        assert "event=resume" in resume
        parts = urlsplit(resume)
        document = server.carrier_post(
            f"{parts.path}?{parts.query}", {**caller(), "CallStatus": "in-progress"}
        ).text
    finally:
        server.stop()
    assert "<Number>+14155550123</Number>" in document, document
    assert "<Say>" not in document, document
