"""The offline recognizer: espeak-ng speech through the 8 kHz mu-law channel, heard by
faster-whisper with the packaged model, cut into utterances by voice activity."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from runner.speech import (
    Heard,
    RecognizerEvent,
    SpeechError,
    SpeechStarted,
    SttSettings,
    WhisperRecognizer,
    build_recognizer,
)
from tests.runner.speech.caller_speech import (
    events_until,
    every_event,
    feed_frames,
    final_words,
    said,
    silence,
    words,
)

CONFIRM = said("I want to confirm my appointment")
CANCEL = said("Please cancel my order")


def heard(audio: bytes, finals: int, settings: SttSettings | None = None) -> list[RecognizerEvent]:
    """The events of a new session fed ``audio`` (all of it before the session is ready),
    up to its ``finals``-th final."""

    async def scenario() -> list[RecognizerEvent]:
        recognizer = build_recognizer(settings or SttSettings())
        session = recognizer.open()
        feed_frames(session, audio)
        await session.ready()
        events = await events_until(session, finals)
        await session.aclose()
        await recognizer.aclose()
        return events

    return asyncio.run(scenario())


def test_a_caller_is_heard_word_for_word_after_speech_starts() -> None:
    events = heard(silence(0.5) + CONFIRM + silence(1.0), finals=1)

    assert len(events) == 2
    started, final = events
    assert started == SpeechStarted(at=0.5)
    assert isinstance(final, Heard)
    assert final.final
    assert words(final.text) == ["i", "want", "to", "confirm", "my", "appointment"]
    assert final.confidence is not None
    assert 0.5 < final.confidence <= 1.0
    assert started.at < final.at <= 0.5 + len(CONFIRM) / 8000


def test_two_utterances_a_second_apart_are_two_finals_in_order() -> None:
    events = heard(CONFIRM + silence(1.0) + CANCEL + silence(1.0), finals=2)

    assert [type(event) for event in events if isinstance(event, SpeechStarted)] == [SpeechStarted] * 2
    first, second = final_words(events)
    assert {"confirm", "appointment"} <= set(first)
    assert {"cancel", "order"} <= set(second)


def test_silence_is_heard_as_nothing() -> None:
    # Three seconds of silence, then words: the first events are the words'.
    events = heard(silence(3.0) + CANCEL + silence(1.0), finals=1)

    started = events[0]
    assert isinstance(started, SpeechStarted)
    assert 3.0 <= started.at < 3.2
    assert len(events) == 2


def test_audio_fed_while_the_model_loads_is_not_lost() -> None:
    async def scenario() -> tuple[bool, list[RecognizerEvent]]:
        recognizer = WhisperRecognizer(language="en")
        session = recognizer.open()
        # The model loads in a task that has not run yet: nothing can hear this audio now.
        feed_frames(session, CONFIRM + silence(1.0))
        loaded_before_feeding_ended = recognizer.loaded
        await session.ready()
        events = await events_until(session, 1)
        await session.aclose()
        return loaded_before_feeding_ended, events

    loaded, events = asyncio.run(scenario())

    assert not loaded
    assert {"confirm", "appointment"} <= set(final_words(events)[0])


def test_a_directory_without_a_model_is_refused_naming_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")

    with pytest.raises(SpeechError) as caught:
        build_recognizer(SttSettings(model_dir=str(tmp_path)))

    assert str(caught.value) == f"{tmp_path} is not a CTranslate2 Whisper model directory: no model.bin"


def test_a_model_that_cannot_load_fails_ready_and_the_events(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.bin").write_bytes(b"not a model")

    async def scenario() -> tuple[str, str]:
        session = WhisperRecognizer(tmp_path).open()
        feed_frames(session, CONFIRM)
        with pytest.raises(SpeechError) as from_ready:
            await session.ready()
        with pytest.raises(SpeechError) as from_events:
            await every_event(session, [])
        await session.aclose()
        return str(from_ready.value), str(from_events.value)

    from_ready, from_events = asyncio.run(scenario())

    assert from_ready == from_events
    assert from_ready.startswith(f"could not load the Whisper model in {tmp_path.resolve()}: ")


def test_without_the_speech_extra_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes the import fail as it does where the package is missing.
    monkeypatch.setitem(sys.modules, "faster_whisper", None)

    with pytest.raises(SpeechError) as caught:
        build_recognizer(SttSettings())

    assert str(caught.value) == "faster-whisper is not installed: pip install 'callflow[speech]'"


def test_bad_threads_are_refused() -> None:
    with pytest.raises(SpeechError) as caught:
        build_recognizer(SttSettings(threads=0))

    assert str(caught.value) == "threads must be at least 1, found 0"
