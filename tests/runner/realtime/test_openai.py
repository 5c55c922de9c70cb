"""OpenAI's Realtime API against a WebSocket stand-in on 127.0.0.1: the session set up as
the call needs it, the caller's audio sent, the model's events read, tool results
answered, and a refused key said plainly."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from runner.realtime import (
    BotAudio,
    BotAudioDone,
    CallerSpeechStarted,
    OpenAIRealtime,
    ProviderWarning,
    RealtimeError,
    RealtimeEvent,
    RealtimeRefused,
    RealtimeSession,
    RealtimeSettings,
    RealtimeTool,
    ToolCalled,
    Transcript,
    UnknownRealtimeProvider,
    _registry,
    build_realtime_provider,
    register_provider,
)
from runner.realtime._openai import read_event
from runner.types import Speaker
from tests.runner.realtime.stand_in import API_KEY, Peer, RealtimeStandIn

T = TypeVar("T")

ASK = RealtimeTool(
    "consult",
    "Ask the agent.",
    {"type": "object", "properties": {"question": {"type": "string"}}, "required": ["question"]},
)


def with_stand_in(scenario: Callable[[RealtimeStandIn], Awaitable[T]]) -> T:
    async def run() -> T:
        async with RealtimeStandIn() as stand_in:
            return await scenario(stand_in)

    return asyncio.run(run())


async def next_events(session: RealtimeSession, count: int) -> list[RealtimeEvent]:
    events: list[RealtimeEvent] = []
    async with asyncio.timeout(30):
        async for event in session.events():
            events.append(event)
            if len(events) == count:
                break
    return events


def provider(stand_in: RealtimeStandIn, **settings: Any) -> OpenAIRealtime:
    return OpenAIRealtime(api_key=API_KEY, base_url=stand_in.url, **settings)


def test_the_session_is_set_up_for_telephone_audio_with_the_instructions_and_tools() -> None:
    async def scenario(stand_in: RealtimeStandIn) -> Peer:
        session = await provider(stand_in, model="gpt-realtime", voice="marin").connect("Be kind.", (ASK,))
        peer = await stand_in.peer()
        await peer.next_event("session.update")
        await session.aclose()
        return peer

    peer = with_stand_in(scenario)
    assert peer.path == "/v1/realtime?model=gpt-realtime"
    assert peer.headers["Authorization"] == f"Bearer {API_KEY}"
    update = peer.events[0]
    assert update["type"] == "session.update"
    session = update["session"]
    assert session["type"] == "realtime"
    assert session["instructions"] == "Be kind."
    assert session["output_modalities"] == ["audio"]
    assert session["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert session["audio"]["input"]["turn_detection"]["type"] == "server_vad"
    assert session["audio"]["input"]["transcription"] == {"model": "gpt-4o-mini-transcribe"}
    assert session["audio"]["output"] == {"format": {"type": "audio/pcmu"}, "voice": "marin"}
    assert session["tools"] == [
        {
            "type": "function",
            "name": "consult",
            "description": "Ask the agent.",
            "parameters": {
                "type": "object",
                "properties": {"question": {"type": "string"}},
                "required": ["question"],
            },
        }
    ]


def test_the_callers_audio_is_sent_in_order() -> None:
    audio = bytes(range(256)) * 10

    async def scenario(stand_in: RealtimeStandIn) -> Peer:
        session = await provider(stand_in).connect("", ())
        for start in range(0, len(audio), 160):
            session.send_audio(audio[start : start + 160])
        peer = await stand_in.peer()
        await peer.audio_reaches(len(audio))
        await session.aclose()
        return peer

    peer = with_stand_in(scenario)
    assert bytes(peer.audio) == audio
    assert all(event["type"] == "input_audio_buffer.append" for event in peer.events[1:])


def test_the_models_events_become_the_calls() -> None:
    async def scenario(stand_in: RealtimeStandIn) -> list[RealtimeEvent]:
        session = await provider(stand_in).connect("", ())
        peer = await stand_in.peer()
        await peer.send({"type": "session.created", "session": {}})
        await peer.speak("resp-1", b"\x01" * 1000, "Hello there.")
        await peer.send(
            {"type": "input_audio_buffer.speech_started", "audio_start_ms": 1200, "item_id": "i1"}
        )
        await peer.send(
            {
                "type": "conversation.item.input_audio_transcription.completed",
                "item_id": "i1",
                "transcript": " Hi. ",
            }
        )
        await peer.call_tool("call-7", "consult", {"question": "When do you open?"})
        await peer.send({"type": "error", "error": {"type": "invalid_request_error", "message": "bad voice"}})
        events = await next_events(session, 8)
        await session.aclose()
        return events

    events = with_stand_in(scenario)
    assert events == [
        BotAudio("resp-1", b"\x01" * 800),
        BotAudio("resp-1", b"\x01" * 200),
        BotAudioDone("resp-1"),
        Transcript(Speaker.BOT, "Hello there."),
        CallerSpeechStarted(),
        Transcript(Speaker.CALLER, "Hi."),
        ToolCalled("call-7", "consult", {"question": "When do you open?"}),
        # An error event does not end the session: it is a warning in the call's log.
        ProviderWarning("OpenAI Realtime reported an error: bad voice"),
    ]


def test_the_beta_event_names_are_read_too() -> None:
    delta = base64.b64encode(b"\x02" * 160).decode()
    assert read_event(f'{{"type": "response.audio.delta", "response_id": "r", "delta": "{delta}"}}') == [
        BotAudio("r", b"\x02" * 160)
    ]
    assert read_event('{"type": "response.audio.done", "response_id": "r"}') == [BotAudioDone("r")]
    assert read_event('{"type": "response.audio_transcript.done", "transcript": "Hi"}') == [
        Transcript(Speaker.BOT, "Hi")
    ]


def test_a_tool_result_goes_back_and_the_model_answers_with_it() -> None:
    async def scenario(stand_in: RealtimeStandIn) -> tuple[dict[str, Any], dict[str, Any]]:
        session = await provider(stand_in).connect("", (ASK,))
        peer = await stand_in.peer()
        await session.send_tool_result("call-7", "We open at nine.")
        item = await peer.next_event("conversation.item.create")
        response = await peer.next_event("response.create")
        await session.aclose()
        return item, response

    item, response = with_stand_in(scenario)
    assert item["item"] == {"type": "function_call_output", "call_id": "call-7", "output": "We open at nine."}
    assert response == {"type": "response.create"}


def test_a_refused_key_is_said_plainly_without_the_key() -> None:
    async def scenario(stand_in: RealtimeStandIn) -> RealtimeRefused:
        wrong = OpenAIRealtime(api_key="sk-wrong-SECRET", base_url=stand_in.url)
        with pytest.raises(RealtimeRefused) as refused:
            await wrong.connect("", ())
        return refused.value

    refused = with_stand_in(scenario)
    assert str(refused) == "OpenAI Realtime refused the realtime connection with HTTP 401: check the API key"
    assert refused.status == 401
    assert "SECRET" not in str(refused)


def test_an_unreachable_provider_says_where_it_was_looked_for() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = OpenAIRealtime(api_key=API_KEY, base_url=f"ws://127.0.0.1:{port}/v1")
    with pytest.raises(RealtimeError) as failed:
        asyncio.run(unreachable.connect("", ()))
    message = str(failed.value)
    assert message.startswith(
        f"could not connect to OpenAI Realtime at ws://127.0.0.1:{port}/v1/realtime?model="
    )
    assert API_KEY not in message


def test_the_session_says_when_the_provider_closes_it() -> None:
    async def scenario(stand_in: RealtimeStandIn) -> str:
        session = await provider(stand_in).connect("", ())
        peer = await stand_in.peer()
        await peer.connection.close(1011, "internal error")
        with pytest.raises(RealtimeError) as closed:
            await next_events(session, 1)
        await session.aclose()
        return str(closed.value)

    assert with_stand_in(scenario) == "OpenAI Realtime closed the connection (code 1011: internal error)"


def test_an_unknown_provider_is_named_with_the_known_ones() -> None:
    with pytest.raises(UnknownRealtimeProvider) as unknown:
        build_realtime_provider(RealtimeSettings(provider="gemini-live"))
    assert str(unknown.value) == "no realtime provider is named 'gemini-live': expected one of openai"
    assert unknown.value.name == "gemini-live"


def test_openai_without_a_key_cannot_be_made() -> None:
    with pytest.raises(RealtimeError) as missing:
        build_realtime_provider(RealtimeSettings(provider="openai"))
    assert str(missing.value) == "the openai realtime provider needs an API key (audio.realtime.api_key)"


def test_a_registered_provider_is_built_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    # The registration is undone after the test: other tests see the registry as it ships.
    monkeypatch.setattr(_registry, "_PROVIDERS", dict(_registry._PROVIDERS))
    made: list[RealtimeSettings] = []

    def factory(settings: RealtimeSettings) -> OpenAIRealtime:
        made.append(settings)
        return OpenAIRealtime(api_key="k", base_url="ws://127.0.0.1:1/v1")

    register_provider("stand-in", factory)
    settings = RealtimeSettings(provider="stand-in", model="m")
    assert build_realtime_provider(settings).name == "openai"
    assert made == [settings]
