"""Speech engines for the media path: synthesizers (TTS) and streaming recognizers (STT)
behind one interface each, offline by default (espeak-ng, faster-whisper)."""

from __future__ import annotations

from runner.speech._cache import CachedSynthesizer
from runner.speech._deepgram import DeepgramRecognizer
from runner.speech._elevenlabs import ElevenLabsSpeech
from runner.speech._espeak import EspeakSynthesizer
from runner.speech._interfaces import (
    Heard,
    Recognizer,
    RecognizerEvent,
    RecognizerSession,
    SpeechError,
    SpeechStarted,
    Synthesizer,
)
from runner.speech._openai_stt import OpenAIRealtimeTranscription
from runner.speech._openai_tts import OpenAISpeech
from runner.speech._stt import SttEngine, SttSettings, build_recognizer
from runner.speech._tts import TtsEngine, TtsSettings, build_synthesizer
from runner.speech._vad import VadSettings
from runner.speech._whisper import WhisperRecognizer

__all__ = [
    "CachedSynthesizer",
    "DeepgramRecognizer",
    "ElevenLabsSpeech",
    "EspeakSynthesizer",
    "Heard",
    "OpenAIRealtimeTranscription",
    "OpenAISpeech",
    "Recognizer",
    "RecognizerEvent",
    "RecognizerSession",
    "SpeechError",
    "SpeechStarted",
    "SttEngine",
    "SttSettings",
    "Synthesizer",
    "TtsEngine",
    "TtsSettings",
    "VadSettings",
    "WhisperRecognizer",
    "build_recognizer",
    "build_synthesizer",
]
