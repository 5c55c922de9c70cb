from __future__ import annotations

import asyncio

import pytest

from runner.speech import (
    ElevenLabsSpeech,
    EspeakSynthesizer,
    OpenAISpeech,
    SpeechError,
    TtsSettings,
    build_synthesizer,
)
from tests.runner.speech.audio_checks import espeak_oracle, spoken


def test_espeak_ng_is_the_default_and_speaks_the_settings_language() -> None:
    synthesizer = build_synthesizer(TtsSettings(language="fr"))
    assert isinstance(synthesizer, EspeakSynthesizer)
    assert synthesizer.name == "espeak-ng"
    assert b"".join(spoken(synthesizer, "Bonjour.")) == espeak_oracle("Bonjour.", voice="fr")


def test_the_settings_voice_comes_before_their_language() -> None:
    synthesizer = build_synthesizer(TtsSettings(voice="en-us+f3", language="fr"))
    assert b"".join(spoken(synthesizer, "Hello.")) == espeak_oracle("Hello.", voice="en-us+f3")


def test_the_hosted_engines_are_built_with_their_names() -> None:
    openai = build_synthesizer(TtsSettings(engine="openai", api_key="k"))
    elevenlabs = build_synthesizer(TtsSettings(engine="elevenlabs", api_key="k", voice="v"))
    assert isinstance(openai, OpenAISpeech)
    assert isinstance(elevenlabs, ElevenLabsSpeech)
    assert (openai.name, elevenlabs.name) == ("openai", "elevenlabs")
    asyncio.run(openai.aclose())
    asyncio.run(elevenlabs.aclose())


def test_the_settings_never_show_the_key() -> None:
    assert "sk-secret" not in repr(TtsSettings(engine="openai", api_key="sk-secret"))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (TtsSettings(engine="openai"), "the openai speech engine needs an API key"),
        (TtsSettings(engine="elevenlabs", voice="v"), "the elevenlabs speech engine needs an API key"),
        (
            TtsSettings(engine="elevenlabs", api_key="k"),
            "the elevenlabs speech engine needs a voice: the id of an ElevenLabs voice",
        ),
        (
            TtsSettings(engine="polly", api_key="k"),  # type: ignore[arg-type]
            "unknown speech engine 'polly': expected one of espeak-ng, openai, elevenlabs",
        ),
        (
            TtsSettings(engine="openai", api_key="k", timeout=0),
            "a speech engine's timeout is positive, found 0",
        ),
        (
            TtsSettings(engine="openai", api_key="k", base_url="ftp://example.com"),
            "OpenAI speech's base URL is http:// or https://, found 'ftp://example.com'",
        ),
        (
            TtsSettings(voice="en us"),
            "an espeak-ng voice is letters, digits, '-', '+' and '_' (as in 'en-us+f3'), found 'en us'",
        ),
    ],
)
def test_settings_that_cannot_speak_say_why(settings: TtsSettings, message: str) -> None:
    with pytest.raises(SpeechError) as caught:
        build_synthesizer(settings)
    assert str(caught.value) == message
