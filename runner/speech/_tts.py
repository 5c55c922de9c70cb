"""Choosing the synthesizer: the settings of speech out, and the engine they name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias, get_args

from runner.speech import _elevenlabs, _openai_tts
from runner.speech._elevenlabs import ElevenLabsSpeech
from runner.speech._espeak import EspeakSynthesizer
from runner.speech._interfaces import SpeechError, Synthesizer
from runner.speech._openai_tts import OpenAISpeech

TtsEngine: TypeAlias = Literal["espeak-ng", "openai", "elevenlabs"]


@dataclass(frozen=True)
class TtsSettings:
    """How calls are spoken to. ``voice``, ``language``, ``base_url`` and ``model`` left
    None take each engine's default; ``api_key`` is for the hosted engines and is never
    shown in a repr."""

    engine: TtsEngine = "espeak-ng"
    #: espeak-ng: a voice such as "en-us+f3"; OpenAI: "alloy", ...; ElevenLabs: a voice id.
    voice: str | None = None
    #: espeak-ng speaks it when no voice is named ("fr", "en-GB"); the hosted engines speak
    #: the language of the text.
    language: str | None = None
    base_url: str | None = None
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    #: Seconds a hosted engine may take to connect, or to send more of the audio.
    timeout: float = 10.0


def build_synthesizer(settings: TtsSettings) -> Synthesizer:
    """The synthesizer ``settings`` describe. Raises SpeechError for an unknown engine, or a
    hosted one without its key (or, for ElevenLabs, its voice id)."""
    engine = settings.engine
    if engine == "espeak-ng":
        return EspeakSynthesizer(voice=settings.voice or settings.language or "en-us")
    if engine not in get_args(TtsEngine):
        choices = ", ".join(get_args(TtsEngine))
        raise SpeechError(f"unknown speech engine {engine!r}: expected one of {choices}")
    if not settings.api_key:
        raise SpeechError(f"the {engine} speech engine needs an API key")
    if settings.timeout <= 0:
        raise SpeechError(f"a speech engine's timeout is positive, found {settings.timeout:g}")
    if engine == "openai":
        return OpenAISpeech(
            api_key=settings.api_key,
            base_url=settings.base_url or _openai_tts.DEFAULT_BASE_URL,
            model=settings.model or _openai_tts.DEFAULT_MODEL,
            voice=settings.voice or _openai_tts.DEFAULT_VOICE,
            timeout=settings.timeout,
        )
    if not settings.voice:
        raise SpeechError("the elevenlabs speech engine needs a voice: the id of an ElevenLabs voice")
    return ElevenLabsSpeech(
        api_key=settings.api_key,
        voice=settings.voice,
        base_url=settings.base_url or _elevenlabs.DEFAULT_BASE_URL,
        model=settings.model or _elevenlabs.DEFAULT_MODEL,
        timeout=settings.timeout,
    )
