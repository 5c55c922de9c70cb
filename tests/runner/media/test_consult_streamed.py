"""A consult step on a streamed call, through a real ``callflow serve`` and a
chat-completions stand-in: the agent's reply is spoken on the stream, and an agent
slower than the hold has the filler line played first."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runner.agent.stand_in import AgentStandIn
from tests.runner.cli.serve_process import TwilioServer, only_record
from tests.runner.media.streamed_server import answer, streaming_server
from tests.runner.media.twilio_side import TwilioMediaSide, spoken_frames
from tests.runner.providers.carrier_server import CarrierServer

FLOW = """\
version: 1
name: desk
mode: conversation
audio: streaming
greeting: Hi.
steps:
  desk:
    consult: {prompt: You speak for the clinic., max_turns: 1}
    hangup: true
"""
REPLY = "We open at nine."
FILLER = "One moment."


@pytest.fixture
def carrier() -> Iterator[CarrierServer]:
    with CarrierServer() as stand_in:
        stand_in.answer(200, {"sid": "CA-in-1", "status": "completed"})
        yield stand_in


@pytest.fixture
def agent() -> Iterator[AgentStandIn]:
    with AgentStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def server(tmp_path: Path, carrier: CarrierServer, agent: AgentStandIn) -> Iterator[TwilioServer]:
    extra = f"agent: {{base_url: '{agent.url}', model: stand-in, hold_seconds: 0.2, filler: {FILLER}}}\n"
    running = streaming_server(tmp_path, carrier, FLOW, extra)
    try:
        yield running
    finally:
        running.stop()


def test_the_agents_reply_is_spoken_on_the_stream(
    server: TwilioServer, carrier: CarrierServer, agent: AgentStandIn
) -> None:
    agent.reply(REPLY)
    url, token = answer(server)

    async def call() -> TwilioMediaSide:
        async with TwilioMediaSide(url, token) as twilio:
            await twilio.wait_for("the reply", lambda got: len(got.marks) >= 2 and carrier.requests)
            await twilio.stop()
        return twilio

    received = asyncio.run(call()).received
    assert len(agent.requests) == 1
    assert received.marks == ["said-1", "said-2"]
    assert len(received.media) == spoken_frames("Hi.") + spoken_frames(REPLY)
    record = only_record(server.config.parent / "data")
    assert [entry.text for entry in record.transcript] == ["Hi.", REPLY]
    assert record.end_reason is not None
    assert record.end_reason.value == "hangup-bot"


def test_a_slow_agent_has_the_filler_played_first(
    server: TwilioServer, carrier: CarrierServer, agent: AgentStandIn
) -> None:
    replied = threading.Event()
    agent.reply_when(replied, REPLY)
    url, token = answer(server)

    async def call() -> TwilioMediaSide:
        async with TwilioMediaSide(url, token) as twilio:
            # The filler is heard while the agent still thinks: only then may it answer.
            await twilio.wait_for("the filler", lambda got: len(got.marks) >= 2)
            replied.set()
            await twilio.wait_for("the reply", lambda got: len(got.marks) >= 3 and carrier.requests)
            await twilio.stop()
        return twilio

    received = asyncio.run(call()).received
    assert received.marks == ["said-1", "said-2", "said-3"]
    assert len(received.media) == sum(map(spoken_frames, ["Hi.", FILLER, REPLY]))
    record = only_record(server.config.parent / "data")
    assert record.transcript[-1].text == REPLY
