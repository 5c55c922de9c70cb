"""Realtime voice: a speech-to-speech model talks with the caller, audio both ways, and
calls tools (``RealtimeProvider``, ``RealtimeSession``). OpenAI's Realtime API is the
first provider; others are registered by name (``register_provider``)."""

from __future__ import annotations

from runner.realtime._interfaces import (
    BotAudio,
    BotAudioDone,
    CallerSpeechStarted,
    ProviderWarning,
    RealtimeError,
    RealtimeEvent,
    RealtimeProvider,
    RealtimeRefused,
    RealtimeSession,
    RealtimeTool,
    ToolCalled,
    Transcript,
    UnknownRealtimeProvider,
)
from runner.realtime._openai import OpenAIRealtime
from runner.realtime._registry import (
    ProviderFactory,
    build_realtime_provider,
    provider_names,
    register_provider,
)
from runner.realtime._settings import DEFAULT_PROVIDER, RealtimeSettings

__all__ = [
    "DEFAULT_PROVIDER",
    "BotAudio",
    "BotAudioDone",
    "CallerSpeechStarted",
    "OpenAIRealtime",
    "ProviderFactory",
    "ProviderWarning",
    "RealtimeError",
    "RealtimeEvent",
    "RealtimeProvider",
    "RealtimeRefused",
    "RealtimeSession",
    "RealtimeSettings",
    "RealtimeTool",
    "ToolCalled",
    "Transcript",
    "UnknownRealtimeProvider",
    "build_realtime_provider",
    "provider_names",
    "register_provider",
]
