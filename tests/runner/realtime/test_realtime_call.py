"""A realtime call through a real ``callflow serve``: the test is Twilio (the answer
webhook, then the media stream it asks for), the speech-to-speech model (a Realtime
WebSocket stand-in) and the agent (a chat-completions stand-in), all on 127.0.0.1.

The model is told the flow's description and consult prompt, opens with the greeting,
hears the caller's audio, is played on the stream, is cut short when the caller speaks,
asks the agent through its consult tool, and hangs up with end_call."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runner.audio import FRAME_BYTES
from tests.runner.agent.stand_in import API_KEY as AGENT_KEY
from tests.runner.agent.stand_in import AgentStandIn
from tests.runner.cli.serve_process import TwilioServer, free_port, only_record, twilio_config
from tests.runner.media.twilio_side import TwilioMediaSide, stream_of
from tests.runner.providers.carrier_server import CarrierServer
from tests.runner.realtime.stand_in import API_KEY, RealtimeStandIn

CALLER = {"CallSid": "CA-in-1", "From": "+14155550111", "To": "+14155550199", "Direction": "inbound"}

FLOW = """\
version: 1
name: clinic-voice
mode: conversation
audio: realtime
description: The clinic's front desk, on the phone.
greeting: Hello, this is the clinic.
steps:
  talk:
    consult:
      prompt: Help the caller with their appointment at the clinic.
      max_turns: 10
    hangup: true
"""

#: Not silence: a mu-law byte of a loud sample, so played audio is told from padding.
LOUD = bytes([0x20])


def serve(
    folder: Path, carrier: CarrierServer, realtime: str, agent: AgentStandIn | None = None
) -> TwilioServer:
    flow = folder / "clinic-voice.yaml"
    flow.write_text(FLOW, encoding="utf-8")
    port = free_port()
    config = twilio_config(folder, port)
    text = config.read_text(encoding="utf-8").replace("inbound: {policy: open, flow: ", "#")
    text += f"inbound: {{policy: open, flow: {flow}}}\n"
    text = text.replace("  auth_token:", f"  api_base: {carrier.url}\n  auth_token:")
    text += f"audio:\n  realtime: {realtime}\n"
    if agent is not None:
        text += f"agent: {{base_url: {agent.url}, model: stand-in, api_key: {AGENT_KEY}}}\n"
    config.write_text(text, encoding="utf-8")
    return TwilioServer(config, port).start()


@pytest.fixture
def carrier() -> Iterator[CarrierServer]:
    with CarrierServer() as stand_in:
        yield stand_in


@pytest.fixture
def agent() -> Iterator[AgentStandIn]:
    with AgentStandIn() as stand_in:
        yield stand_in


def answer(server: TwilioServer) -> str:
    return server.carrier_post("/voice/webhook", {**CALLER, "CallStatus": "ringing"}).text


def test_the_model_talks_with_the_caller_asks_the_agent_and_hangs_up(
    tmp_path: Path, carrier: CarrierServer, agent: AgentStandIn
) -> None:
    model_port = free_port()
    realtime = f"{{base_url: 'ws://127.0.0.1:{model_port}/v1', api_key: {API_KEY}, voice: marin}}"
    server = serve(tmp_path, carrier, realtime, agent)
    try:
        url, token = stream_of(answer(server))
        carrier.answer(200, {"sid": "CA-in-1", "status": "completed"})
        agent.reply("We open at nine on Saturday.")
        caller_audio = bytes(range(256)) * 5

        async def call() -> tuple[TwilioMediaSide, dict[str, Any]]:
            seen: dict[str, Any] = {}
            async with RealtimeStandIn(port=model_port) as model, TwilioMediaSide(url, token) as twilio:
                peer = await model.peer()
                seen["update"] = await peer.next_event("session.update")
                seen["opening"] = await peer.next_event("response.create")
                await peer.speak("resp-1", LOUD * 1600, "Hello, this is the clinic!")
                await twilio.wait_for("the greeting", lambda got: got.marks == ["said-1"])
                # The caller's audio reaches the model as it was sent.
                await twilio.say(caller_audio)
                await peer.audio_reaches(len(caller_audio))
                seen["audio"] = bytes(peer.audio)
                # A long answer, cut short by the caller.
                await peer.speak("resp-2", LOUD * 8000 * 5)
                await twilio.wait_for("the long answer", lambda got: len(got.media) >= 15)
                await peer.send({"type": "input_audio_buffer.speech_started", "audio_start_ms": 900})
                await twilio.wait_for("the clear", lambda got: got.clears == 1)
                # What the model still sends of the answer it was cut short in is not played.
                await peer.speak("resp-2", LOUD * 1600)
                # The caller asks; the model asks the agent.
                await peer.send(
                    {
                        "type": "conversation.item.input_audio_transcription.completed",
                        "item_id": "item-1",
                        "transcript": "When are you open on Saturday?",
                    }
                )
                await peer.call_tool("call-1", "consult", {"question": "When are you open on Saturday?"})
                seen["result"] = await peer.next_event("conversation.item.create")
                await peer.next_event("response.create")
                await peer.speak("resp-3", LOUD * 800, "We open at nine on Saturday. Goodbye.")
                await peer.call_tool("call-2", "end_call", {})
                await twilio.wait_for("the hang-up", lambda _: bool(carrier.requests))
                await twilio.stop()
            return twilio, seen

        twilio, seen = asyncio.run(call())
    finally:
        server.stop()

    session = seen["update"]["session"]
    assert session["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert session["audio"]["output"] == {"format": {"type": "audio/pcmu"}, "voice": "marin"}
    assert "About this call: The clinic's front desk, on the phone." in session["instructions"]
    assert "Help the caller with their appointment at the clinic." in session["instructions"]
    assert [tool["name"] for tool in session["tools"]] == ["consult", "end_call"]
    assert seen["opening"]["response"] == {
        "instructions": 'Say exactly this to the caller, and nothing else: "Hello, this is the clinic."'
    }
    assert seen["audio"] == caller_audio

    received = twilio.received
    assert all(len(frame) == FRAME_BYTES for frame in received.media)
    # The greeting, as much of the long answer as played before the caller spoke, the goodbye.
    assert received.media[:10] == [LOUD * FRAME_BYTES] * 10
    assert len(received.media) < 10 + 250
    assert received.marks == ["said-1", "said-3"]
    assert received.order.index("clear") < received.order.index("mark", received.order.index("clear"))

    assert seen["result"]["item"] == {
        "type": "function_call_output",
        "call_id": "call-1",
        "output": "We open at nine on Saturday.",
    }
    (asked,) = agent.requests
    body = json.loads(asked.body)
    assert body["messages"][-1] == {"role": "user", "content": "When are you open on Saturday?"}
    assert "Help the caller with their appointment at the clinic." in body["messages"][0]["content"]

    (hang_up,) = carrier.requests
    assert hang_up.path.endswith("/Calls/CA-in-1.json")
    assert hang_up.form() == {"Status": ["completed"]}
    record = only_record(tmp_path / "data")
    assert [(entry.speaker.value, entry.text) for entry in record.transcript] == [
        ("bot", "Hello, this is the clinic."),
        ("caller", "When are you open on Saturday?"),
        ("bot", "We open at nine on Saturday. Goodbye."),
    ]
    assert record.end_reason is not None
    assert record.end_reason.value == "hangup-bot"


def test_a_refused_key_ends_the_call_saying_why(tmp_path: Path, carrier: CarrierServer) -> None:
    model_port = free_port()
    realtime = f"{{base_url: 'ws://127.0.0.1:{model_port}/v1', api_key: sk-wrong-SECRET}}"
    server = serve(tmp_path, carrier, realtime)
    try:
        url, token = stream_of(answer(server))
        carrier.answer(200, {"sid": "CA-in-1", "status": "completed"})

        async def call() -> None:
            async with RealtimeStandIn(port=model_port), TwilioMediaSide(url, token) as twilio:
                await twilio.wait_for("the hang-up", lambda _: bool(carrier.requests))
                await twilio.stop()

        asyncio.run(call())
    finally:
        server.stop()
    record = only_record(tmp_path / "data")
    assert record.error == (
        "the realtime model could not take the call: "
        "OpenAI Realtime refused the realtime connection with HTTP 401: check the API key"
    )
    assert record.end_reason is not None
    assert record.end_reason.value == "error"
    assert "SECRET" not in server.output.read_text(encoding="utf-8")


def test_an_unknown_provider_is_logged_and_its_calls_take_the_gather_path(
    tmp_path: Path, carrier: CarrierServer
) -> None:
    server = serve(tmp_path, carrier, "{provider: nonesuch}")
    try:
        document = answer(server)
    finally:
        server.stop()
    assert "<Connect>" not in document
    assert "<Gather" in document
    assert "Hello, this is the clinic." in document
    assert (
        "no realtime provider is named 'nonesuch': expected one of openai; realtime calls take the gather path"
        in server.output.read_text(encoding="utf-8")
    )
