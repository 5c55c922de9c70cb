"""Deepgram and OpenAI realtime transcription against WebSocket stand-ins on 127.0.0.1:
what is sent (the URL, the key, the audio) and what their messages become."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from urllib.parse import parse_qs, urlsplit

import pytest

from runner.speech import (
    DeepgramRecognizer,
    Heard,
    OpenAIRealtimeTranscription,
    Recognizer,
    RecognizerEvent,
    SpeechError,
    SpeechStarted,
    SttSettings,
    build_recognizer,
)
from tests.runner.speech.caller_speech import events_until, every_event, feed_frames, said, silence
from tests.runner.speech.socket_stand_in import Received, SocketStandIn
from tests.runner.speech.stand_in import API_KEY

CALLER = said("I want to confirm my appointment") + silence(1.0)


def deepgram_audio(message: str | bytes) -> bytes | None:
    return message if isinstance(message, bytes) else None


def openai_audio(message: str | bytes) -> bytes | None:
    body = json.loads(message)
    if body["type"] != "input_audio_buffer.append":
        return None
    return base64.b64decode(body["audio"])


def deepgram_results(
    transcript: str, *, is_final: bool, speech_final: bool, start: float, duration: float
) -> str:
    return json.dumps(
        {
            "type": "Results",
            "channel_index": [0, 1],
            "duration": duration,
            "start": start,
            "is_final": is_final,
            "speech_final": speech_final,
            "channel": {"alternatives": [{"transcript": transcript, "confidence": 0.98, "words": []}]},
        }
    )


DEEPGRAM_REPLIES = [
    json.dumps({"type": "SpeechStarted", "channel": [0], "timestamp": 0.1}),
    deepgram_results("I want", is_final=False, speech_final=False, start=0.0, duration=0.8),
    deepgram_results("I want to confirm", is_final=True, speech_final=False, start=0.0, duration=1.2),
    deepgram_results("my appointment", is_final=False, speech_final=False, start=1.2, duration=0.6),
    deepgram_results("my appointment.", is_final=True, speech_final=True, start=1.2, duration=0.9),
]


async def converse(
    stand_in: SocketStandIn, recognizer: Recognizer, finals: int = 1
) -> tuple[list[RecognizerEvent], Received]:
    """The caller's audio fed (before the session is ready), the events up to the last
    final, and what the stand-in received once the session closed."""
    session = recognizer.open()
    feed_frames(session, CALLER)
    await session.ready()
    events = await events_until(session, finals)
    await session.aclose()
    await recognizer.aclose()
    return events, await stand_in.finished()


def test_deepgram_sends_the_key_and_all_audio_and_joins_finals_into_one_utterance() -> None:
    async def scenario() -> tuple[list[RecognizerEvent], Received]:
        async with SocketStandIn(
            authorization=f"Token {API_KEY}",
            audio_of=deepgram_audio,
            replies=DEEPGRAM_REPLIES,
            reply_after=len(CALLER),
        ) as stand_in:
            recognizer = DeepgramRecognizer(api_key=API_KEY, base_url=stand_in.url, silence_ms=450)
            return await converse(stand_in, recognizer)

    events, received = asyncio.run(scenario())

    assert events == [
        SpeechStarted(at=0.1),
        Heard(text="I want", final=False, at=0.8),
        Heard(text="I want to confirm my appointment", final=False, at=1.8),
        Heard(text="I want to confirm my appointment.", final=True, confidence=0.98, at=2.1),
    ]
    url = urlsplit(received.path)
    assert url.path == "/v1/listen"
    assert parse_qs(url.query) == {
        "encoding": ["mulaw"],
        "sample_rate": ["8000"],
        "channels": ["1"],
        "model": ["nova-3"],
        "interim_results": ["true"],
        "endpointing": ["450"],
        "vad_events": ["true"],
        "punctuate": ["true"],
        "language": ["en"],
    }
    assert received.headers["Authorization"] == f"Token {API_KEY}"
    # Fed before the session was ready, and every byte arrived, in order.
    assert bytes(received.audio) == CALLER
    assert received.texts == ['{"type": "CloseStream"}']


def test_openai_configures_a_mulaw_transcription_session_and_reads_its_turns() -> None:
    replies = [
        {"type": "session.created", "event_id": "e0", "session": {"type": "transcription"}},
        {"type": "input_audio_buffer.speech_started", "audio_start_ms": 120, "item_id": "item_1"},
        {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 2300, "item_id": "item_1"},
        {"type": "conversation.item.input_audio_transcription.delta", "item_id": "item_1", "delta": "I want"},
        {
            "type": "conversation.item.input_audio_transcription.delta",
            "item_id": "item_1",
            "delta": " to confirm my appointment.",
        },
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": "item_1",
            "content_index": 0,
            "transcript": "I want to confirm my appointment.",
            "logprobs": [{"token": "I", "logprob": -0.1, "bytes": [73]}, {"token": " want", "logprob": -0.3}],
        },
    ]

    async def scenario() -> tuple[list[RecognizerEvent], Received]:
        async with SocketStandIn(
            authorization=f"Bearer {API_KEY}",
            audio_of=openai_audio,
            replies=[json.dumps(reply) for reply in replies],
            reply_after=len(CALLER),
        ) as stand_in:
            settings = SttSettings(engine="openai", api_key=API_KEY, base_url=stand_in.url, silence_ms=500)
            return await converse(stand_in, build_recognizer(settings))

    events, received = asyncio.run(scenario())

    assert events == [
        SpeechStarted(at=0.12),
        Heard(text="I want", final=False, at=2.3),
        Heard(text="I want to confirm my appointment.", final=False, at=2.3),
        Heard(text="I want to confirm my appointment.", final=True, confidence=0.819, at=2.3),
    ]
    assert received.path == "/realtime?intent=transcription"
    assert received.headers["Authorization"] == f"Bearer {API_KEY}"
    assert [json.loads(text) for text in received.texts] == [
        {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcmu"},
                        "transcription": {"model": "gpt-4o-mini-transcribe", "language": "en"},
                        "turn_detection": {
                            "type": "server_vad",
                            "prefix_padding_ms": 300,
                            "silence_duration_ms": 500,
                        },
                    }
                },
                "include": ["item.input_audio_transcription.logprobs"],
            },
        }
    ]
    assert bytes(received.audio) == CALLER


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        ("deepgram", "Deepgram refused the connection with HTTP 401: check the API key"),
        ("openai", "OpenAI refused the connection with HTTP 401: check the API key"),
    ],
)
def test_a_refused_key_is_a_speech_error_that_does_not_show_the_key(engine: str, expected: str) -> None:
    wrong_key = "sk-WRONG-KEY-4242"

    async def scenario() -> tuple[str, str]:
        async with SocketStandIn(authorization=f"Token {API_KEY}", audio_of=deepgram_audio) as stand_in:
            settings = SttSettings(engine=engine, api_key=wrong_key, base_url=stand_in.url)  # type: ignore[arg-type]
            session = build_recognizer(settings).open()
            session.feed(silence(0.02))
            with pytest.raises(SpeechError) as from_ready:
                await session.ready()
            with pytest.raises(SpeechError) as from_events:
                await events_until(session, 1)
            await session.aclose()
            return str(from_ready.value), str(from_events.value)

    messages = asyncio.run(scenario())

    assert messages == (expected, expected)
    assert all(wrong_key not in message for message in messages)


def test_an_unreachable_engine_is_a_speech_error_naming_where() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port now.

    async def scenario() -> str:
        recognizer = DeepgramRecognizer(api_key=API_KEY, base_url=f"ws://127.0.0.1:{port}")
        session = recognizer.open()
        with pytest.raises(SpeechError) as caught:
            await session.ready()
        await session.aclose()
        return str(caught.value)

    message = asyncio.run(scenario())

    assert message.startswith(
        f"could not connect to Deepgram at ws://127.0.0.1:{port}/v1/listen?encoding=mulaw"
    )
    assert API_KEY not in message


def test_the_engine_closing_the_socket_mid_call_ends_the_events_with_its_reason() -> None:
    async def scenario() -> tuple[list[RecognizerEvent], str]:
        async with SocketStandIn(
            authorization=f"Token {API_KEY}",
            audio_of=deepgram_audio,
            replies=DEEPGRAM_REPLIES[:1],
            reply_after=len(CALLER),
            close_with=(1011, "DATA-0000: could not decode the audio"),
        ) as stand_in:
            session = DeepgramRecognizer(api_key=API_KEY, base_url=stand_in.url).open()
            feed_frames(session, CALLER)
            seen: list[RecognizerEvent] = []
            with pytest.raises(SpeechError) as caught:
                await every_event(session, seen)
            await session.aclose()
            return seen, str(caught.value)

    seen, message = asyncio.run(scenario())

    assert seen == [SpeechStarted(at=0.1)]
    assert message == "Deepgram closed the connection (code 1011: DATA-0000: could not decode the audio)"


def test_an_error_event_from_openai_ends_the_events_with_its_message() -> None:
    error = {
        "type": "error",
        "event_id": "e9",
        "error": {
            "type": "invalid_request_error",
            "message": "Invalid value: 'whisper-9'.",
            "param": "model",
        },
    }

    async def scenario() -> str:
        async with SocketStandIn(
            authorization=f"Bearer {API_KEY}",
            audio_of=openai_audio,
            replies=[json.dumps(error)],
            reply_after=1,
        ) as stand_in:
            session = OpenAIRealtimeTranscription(
                api_key=API_KEY, base_url=stand_in.url, model="whisper-9"
            ).open()
            feed_frames(session, silence(0.1))
            with pytest.raises(SpeechError) as caught:
                await events_until(session, 1)
            await session.aclose()
            return str(caught.value)

    assert asyncio.run(scenario()) == "OpenAI reported an error: Invalid value: 'whisper-9'."


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (SttSettings(engine="deepgram"), "Deepgram needs an API key (api_key)"),
        (SttSettings(engine="openai", api_key=""), "OpenAI transcription needs an API key (api_key)"),
        (
            SttSettings(engine="vosk"),  # type: ignore[arg-type]
            "unknown speech recognition engine 'vosk': expected one of whisper, deepgram, openai, none",
        ),
        (
            SttSettings(engine="deepgram", api_key=API_KEY, silence_ms=5),
            "silence_ms must be at least 20, found 5",
        ),
    ],
)
def test_settings_a_recognizer_cannot_be_built_from_say_why(settings: SttSettings, expected: str) -> None:
    with pytest.raises(SpeechError) as caught:
        build_recognizer(settings)

    assert str(caught.value) == expected


def test_deepgram_utterance_end_closes_an_utterance_endpointing_left_open() -> None:
    replies = [
        deepgram_results("Confirm", is_final=True, speech_final=False, start=0.0, duration=0.7),
        deepgram_results("", is_final=False, speech_final=False, start=0.7, duration=0.5),
        json.dumps({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": 0.62}),
    ]

    async def scenario() -> tuple[list[RecognizerEvent], Received]:
        async with SocketStandIn(
            authorization=f"Token {API_KEY}",
            audio_of=deepgram_audio,
            replies=replies,
            reply_after=len(CALLER),
        ) as stand_in:
            return await converse(stand_in, DeepgramRecognizer(api_key=API_KEY, base_url=stand_in.url))

    events, _received = asyncio.run(scenario())

    assert events == [Heard(text="Confirm", final=True, confidence=0.98, at=len(CALLER) / 8000)]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("this is not JSON", "Deepgram sent a message that is not JSON"),
        ("[1, 2]", "Deepgram sent a message that is not a JSON object"),
        (
            json.dumps({"type": "Error", "description": "Unsupported encoding", "variant": "bad_request"}),
            "Deepgram reported an error: Unsupported encoding",
        ),
    ],
)
def test_a_message_deepgram_should_not_send_ends_the_events_saying_what_it_was(
    reply: str, expected: str
) -> None:
    async def scenario() -> str:
        async with SocketStandIn(
            authorization=f"Token {API_KEY}", audio_of=deepgram_audio, replies=[reply], reply_after=1
        ) as stand_in:
            session = DeepgramRecognizer(api_key=API_KEY, base_url=stand_in.url).open()
            feed_frames(session, silence(0.1))
            with pytest.raises(SpeechError) as caught:
                await every_event(session, [])
            await session.aclose()
            return str(caught.value)

    assert asyncio.run(scenario()) == expected
