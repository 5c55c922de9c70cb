"""A streamed call's socket through a real ``callflow serve``: a drop that comes back
within 2 s with the same token carries on; a longer one ends the call (an error, and
the carrier is told to hang up); a wrong token, or one a stopped stream used, is refused."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runner.cli.serve_process import TwilioServer, only_record
from tests.runner.media.streamed_server import answer, streaming_server
from tests.runner.media.twilio_side import TwilioMediaSide
from tests.runner.providers.carrier_server import CarrierServer

#: WebSocket close code of a refused stream (RFC 6455 "policy violation").
POLICY_VIOLATION = 1008

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


@pytest.fixture
def server(tmp_path: Path, carrier: CarrierServer) -> Iterator[TwilioServer]:
    running = streaming_server(tmp_path, carrier, FLOW)
    try:
        yield running
    finally:
        running.stop()


def refused(url: str, token: str) -> int | None:
    """The close code the server answers a stream opened with ``token``."""

    async def open_one() -> int | None:
        twilio = TwilioMediaSide(url, token)
        await twilio.open()
        await twilio.wait_for("the socket closed", lambda _: twilio.closed_by_server is not None)
        await twilio.close()
        return twilio.closed_by_server

    return asyncio.run(open_one())


def test_a_stream_back_within_two_seconds_carries_the_call_on(
    server: TwilioServer, carrier: CarrierServer
) -> None:
    url, token = answer(server)

    async def call() -> TwilioMediaSide:
        async with TwilioMediaSide(url, token) as first:
            await first.wait_for("the greeting and the question", lambda got: len(got.marks) >= 2)
            await first.drop()
        async with TwilioMediaSide(url, token) as second:
            await second.press("1")
            await second.wait_for("the next turn", lambda got: "said-3" in got.marks and carrier.requests)
            await second.stop()
        return second

    assert asyncio.run(call()).closed_by_server != POLICY_VIOLATION
    record = only_record(server.config.parent / "data")
    assert record.path == ["ask", "done"]
    assert record.end_reason is not None
    assert record.end_reason.value == "hangup-bot"


def test_a_stream_gone_longer_ends_the_call_as_an_error_and_hangs_up(
    server: TwilioServer, carrier: CarrierServer
) -> None:
    url, token = answer(server)

    async def call() -> None:
        async with TwilioMediaSide(url, token) as twilio:
            await twilio.wait_for("the greeting and the question", lambda got: len(got.marks) >= 2)
            await twilio.drop()
            await twilio.wait_for("the hang-up", lambda _: bool(carrier.requests))

    asyncio.run(call())
    (hang_up,) = carrier.requests
    assert hang_up.path.endswith("/Calls/CA-in-1.json")
    assert hang_up.form() == {"Status": ["completed"]}
    record = only_record(server.config.parent / "data")
    assert record.end_reason is not None
    assert record.end_reason.value == "error"
    assert record.error == "the media stream dropped and did not come back within 2 s"
    # Its token was good again only for the 2 s.
    assert refused(url, token) == POLICY_VIOLATION


def test_a_wrong_token_is_refused(server: TwilioServer) -> None:
    url, _ = answer(server)
    assert refused(url, "not-the-token") == POLICY_VIOLATION


def test_a_token_a_stopped_stream_used_is_refused(server: TwilioServer) -> None:
    url, token = answer(server)

    async def call() -> None:
        async with TwilioMediaSide(url, token) as twilio:
            await twilio.wait_for("the greeting", lambda got: len(got.marks) >= 1)
            await twilio.stop()

    asyncio.run(call())
    assert refused(url, token) == POLICY_VIOLATION
