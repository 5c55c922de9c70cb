"""Cutting the caller's audio into utterances: espeak-ng speech through the mu-law
channel, fed frame by frame."""

from __future__ import annotations

import numpy as np
import pytest

from runner.audio import decode
from runner.speech import SpeechError, VadSettings
from runner.speech._vad import Utterance, VoiceActivityDetector, VoiceEvent, VoiceStarted
from tests.runner.speech.caller_speech import said, silence

PHRASE = said("I want to confirm my appointment")
PHRASE_SECONDS = len(PHRASE) / 8000


def cut(audio: bytes, settings: VadSettings | None = None, piece: int = 160) -> list[VoiceEvent]:
    detector = VoiceActivityDetector(settings)
    events: list[VoiceEvent] = []
    for start in range(0, len(audio), piece):
        events += detector.feed(decode(audio[start : start + piece]))
    return events


def test_speech_starts_then_ends_one_utterance_with_its_pre_roll() -> None:
    events = cut(silence(1.0) + PHRASE + silence(1.0))

    assert [type(event) for event in events] == [VoiceStarted, Utterance]
    started, utterance = events
    assert isinstance(started, VoiceStarted)
    assert isinstance(utterance, Utterance)
    # espeak-ng speaks from its first sample: speech starts where the silence ends.
    assert started.at == 1.0
    # espeak-ng ends its audio with a little silence of its own.
    assert 1.0 + PHRASE_SECONDS - 0.5 <= utterance.end <= 1.0 + PHRASE_SECONDS
    assert not utterance.cut
    # The phrase whole, 300 ms of pre-roll before it and the 600 ms of silence that ended it.
    assert utterance.pcm.size == 2400 + round((utterance.end - 1.0) * 8000) + 4800


def test_pure_silence_starts_nothing() -> None:
    assert cut(silence(5.0)) == []


def test_a_pause_shorter_than_the_silence_keeps_one_utterance_and_a_longer_one_makes_two() -> None:
    short_pause = cut(PHRASE + silence(0.3) + PHRASE + silence(1.0))
    long_pause = cut(PHRASE + silence(1.0) + PHRASE + silence(1.0))

    assert [type(event) for event in short_pause] == [VoiceStarted, Utterance]
    assert [type(event) for event in long_pause] == [VoiceStarted, Utterance, VoiceStarted, Utterance]


def test_the_silence_that_ends_an_utterance_is_configurable() -> None:
    events = cut(PHRASE + silence(0.3) + PHRASE + silence(1.0), VadSettings(silence_ms=200))

    assert [type(event) for event in events] == [VoiceStarted, Utterance, VoiceStarted, Utterance]


def test_a_burst_shorter_than_the_start_does_not_start_an_utterance() -> None:
    burst = PHRASE[8000:8800]  # 100 ms from the middle of a word

    assert cut(silence(0.5) + burst + silence(1.0), VadSettings(start_ms=200)) == []
    assert [type(event) for event in cut(silence(0.5) + burst + silence(1.0))] == [VoiceStarted, Utterance]


def test_an_utterance_that_never_pauses_is_cut_at_the_maximum_length() -> None:
    events = cut(PHRASE + silence(1.0), VadSettings(max_utterance_ms=1000))

    first = events[1]
    assert isinstance(first, Utterance)
    assert first.cut
    assert first.pcm.size == 8000
    # The rest of the phrase is heard as an utterance of its own.
    assert [type(event) for event in events] == [VoiceStarted, Utterance, VoiceStarted, Utterance]


def test_pieces_of_any_size_cut_as_whole_frames_do() -> None:
    audio = silence(0.5) + PHRASE + silence(1.0)

    in_frames = cut(audio)
    in_odd_pieces = cut(audio, piece=77)

    assert [(type(event), getattr(event, "at", None)) for event in in_odd_pieces] == [
        (type(event), getattr(event, "at", None)) for event in in_frames
    ]
    first, second = in_frames[1], in_odd_pieces[1]
    assert isinstance(first, Utterance)
    assert isinstance(second, Utterance)
    assert np.array_equal(first.pcm, second.pcm)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"aggressiveness": 4}, "voice activity aggressiveness must be 0 to 3, found 4"),
        ({"silence_ms": 10}, "silence_ms must be at least 20 ms, found 10"),
        ({"max_utterance_ms": 0}, "max_utterance_ms must be at least 20 ms, found 0"),
        ({"preroll_ms": -20}, "preroll_ms must not be negative, found -20"),
    ],
)
def test_settings_out_of_range_say_which_and_what_was_found(settings: dict[str, int], expected: str) -> None:
    with pytest.raises(SpeechError) as caught:
        VadSettings(**settings)

    assert str(caught.value) == expected
