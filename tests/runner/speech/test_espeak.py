from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from runner.audio import FRAME_BYTES, SILENCE_BYTE, frames
from runner.speech import EspeakSynthesizer, SpeechError
from tests.runner.speech.audio_checks import espeak_oracle, spoken, voiced_share

PHRASE = "I want to confirm my appointment for Tuesday morning. Please call me back."


def test_speech_is_espeak_ngs_wav_at_8_khz_in_mu_law_streamed_in_pieces() -> None:
    pieces = spoken(EspeakSynthesizer(), PHRASE)
    audio = b"".join(pieces)
    assert len(pieces) > 3
    # Exactly what resampling espeak-ng's whole 22,050 Hz WAV at once to 8 kHz gives: the
    # seams between pieces leave no trace.
    assert audio == espeak_oracle(PHRASE)
    assert 3.0 < len(audio) / 8000 < 8.0
    assert voiced_share(audio) > 0.4


def test_speech_cut_into_frames_is_160_bytes_each_the_last_padded_with_silence() -> None:
    audio = b"".join(spoken(EspeakSynthesizer(), "Hello."))
    cut = list(frames(audio))
    assert {len(frame) for frame in cut} == {FRAME_BYTES}
    assert b"".join(cut).rstrip(bytes([SILENCE_BYTE])) == audio.rstrip(bytes([SILENCE_BYTE]))
    assert len(cut) == -(-len(audio) // FRAME_BYTES)


def test_text_that_looks_like_options_is_spoken_not_obeyed(tmp_path: Path) -> None:
    audio = b"".join(spoken(EspeakSynthesizer(), "-v evil"))
    assert audio == espeak_oracle("-v evil")
    assert voiced_share(audio) > 0.3
    written = tmp_path / "written.wav"
    assert b"".join(spoken(EspeakSynthesizer(), f"-w {written}")) != b""
    assert not written.exists()


def test_an_unknown_voice_is_named_with_where_to_find_the_voices() -> None:
    with pytest.raises(SpeechError) as caught:
        spoken(EspeakSynthesizer(), "Hello.", voice="xx-nowhere")
    assert str(caught.value) == "espeak-ng has no voice 'xx-nowhere' ('espeak-ng --voices' lists them)"


@pytest.mark.parametrize("voice", ["en us", "en;id", "--help", "en/../../x"])
def test_a_voice_with_other_characters_is_refused_before_espeak_ng_runs(voice: str) -> None:
    with pytest.raises(SpeechError) as caught:
        spoken(EspeakSynthesizer(), "Hello.", voice=voice)
    assert str(caught.value) == (
        f"an espeak-ng voice is letters, digits, '-', '+' and '_' (as in 'en-us+f3'), found {voice!r}"
    )


def test_the_default_voice_is_checked_when_made() -> None:
    with pytest.raises(SpeechError, match="found 'en us'"):
        EspeakSynthesizer(voice="en us")


def test_the_language_chooses_the_voice_when_none_is_named() -> None:
    text = "Bonjour, je voudrais confirmer mon rendez-vous."
    assert b"".join(spoken(EspeakSynthesizer(), text, language="fr")) == espeak_oracle(text, voice="fr")
    assert b"".join(spoken(EspeakSynthesizer(), text, voice="en-us+f3", language="fr")) == espeak_oracle(
        text, voice="en-us+f3"
    )


def test_words_per_minute_set_the_speed() -> None:
    slow = b"".join(spoken(EspeakSynthesizer(words_per_minute=120), PHRASE))
    assert slow == espeak_oracle(PHRASE, words_per_minute=120)
    assert len(slow) > len(espeak_oracle(PHRASE)) * 1.2


def test_a_speed_espeak_ng_cannot_take_is_refused() -> None:
    with pytest.raises(SpeechError) as caught:
        EspeakSynthesizer(words_per_minute=1000)
    assert str(caught.value) == "espeak-ng speaks 80 to 450 words a minute, found 1000"


def test_empty_text_is_no_audio() -> None:
    assert spoken(EspeakSynthesizer(), "") == []


def test_a_missing_program_says_to_install_the_debian_package(tmp_path: Path) -> None:
    missing = tmp_path / "espeak-ng"
    with pytest.raises(SpeechError) as caught:
        spoken(EspeakSynthesizer(executable=str(missing)), "Hello.")
    assert str(caught.value) == (
        f"espeak-ng is not installed ({missing} not found): "
        "install the Debian package espeak-ng (apt-get install espeak-ng)"
    )


def test_a_listener_that_stops_early_ends_the_speaking_process() -> None:
    async def scenario() -> tuple[list[int], list[int]]:
        synthesizer = EspeakSynthesizer()
        speech = synthesizer.synthesize(PHRASE * 30)
        assert await anext(speech)
        speaking = espeak_children()
        await speech.aclose()
        return speaking, espeak_children()

    speaking, after = asyncio.run(scenario())
    assert len(speaking) == 1
    assert after == []


def espeak_children() -> list[int]:
    """The espeak-ng processes this test process started that still run (or are unreaped)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        name, ppid = fields[0].split("(", 1)[1], int(fields[1].split()[1])
        if name == "espeak-ng" and ppid == os.getpid():
            found.append(int(stat.parent.name))
    return found
