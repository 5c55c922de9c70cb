"""What a call asks of a speech-to-speech model: the caller's audio in, the model's
speech out, and in between what it heard, what it said and the tools it calls.

Audio is 8 kHz mu-law both ways (``runner.audio``), as carriers' media streams carry it.
A provider is made once per process and opens one session per call (``connect``); the
session's ``events`` have one reader, the call's media session.

Errors::

    RealtimeError                the root: the provider failed or cannot be used; the
    │                            message says why, never with a credential
    ├── UnknownRealtimeProvider  no provider has that name; carries ``name``
    └── RealtimeRefused          the provider refused the connection (a wrong key);
                                 carries ``provider`` and the HTTP ``status``
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

from runner.types import Speaker


class RealtimeError(Exception):
    """A realtime provider failed or cannot be used; the message says which and why."""


class UnknownRealtimeProvider(RealtimeError):
    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(f"no realtime provider is named {name!r}: expected one of {', '.join(known)}")
        self.name = name


class RealtimeRefused(RealtimeError):
    def __init__(self, provider: str, status: int) -> None:
        hint = ": check the API key" if status in (401, 403) else ""
        super().__init__(f"{provider} refused the realtime connection with HTTP {status}{hint}")
        self.provider = provider
        self.status = status


@dataclass(frozen=True)
class RealtimeTool:
    """A function the model may call; ``parameters`` is a JSON Schema of its arguments."""

    name: str
    description: str
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True)
class BotAudio:
    """A piece of the model's speech (8 kHz mu-law), of the response ``response``."""

    response: str
    audio: bytes


@dataclass(frozen=True)
class BotAudioDone:
    """The model has no more speech for the response ``response``."""

    response: str


@dataclass(frozen=True)
class CallerSpeechStarted:
    """The caller started speaking: the model stops, and so must what is still playing."""


@dataclass(frozen=True)
class Transcript:
    """Words said on the call, once whole: the caller's (as transcribed) or the model's."""

    speaker: Speaker
    text: str


@dataclass(frozen=True)
class ToolCalled:
    """The model calls a tool; answer with ``send_tool_result(call_id, ...)``."""

    call_id: str
    name: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True)
class ProviderWarning:
    """The provider reported a problem that does not end the session (a refused update)."""

    message: str


RealtimeEvent: TypeAlias = (
    BotAudio | BotAudioDone | CallerSpeechStarted | Transcript | ToolCalled | ProviderWarning
)


class RealtimeSession(Protocol):
    """One call's conversation with the model."""

    def send_audio(self, audio: bytes) -> None:
        """The caller's audio (8 kHz mu-law, any size), sent in order as it comes."""
        ...

    async def respond(self, instructions: str | None = None) -> None:
        """Have the model speak now (the opening lines), told ``instructions`` for this once."""
        ...

    async def send_tool_result(self, call_id: str, output: str) -> None:
        """What came of a tool call; the model then answers with it."""
        ...

    def events(self) -> AsyncIterator[RealtimeEvent]:
        """What the model does, in order; ends when the session is closed. Raises
        RealtimeError when the provider ends the session on its own."""
        ...

    async def aclose(self) -> None: ...


class RealtimeProvider(Protocol):
    """A speech-to-speech service."""

    #: Names the provider in logs: "openai".
    name: str

    async def connect(self, instructions: str, tools: tuple[RealtimeTool, ...]) -> RealtimeSession:
        """A session told ``instructions`` and offered ``tools``, ready for audio. Raises
        RealtimeRefused when the provider turns the connection down, RealtimeError when
        it cannot be reached."""
        ...
