"""What the media path asks of speech engines: text to telephone audio, and telephone
audio to words.

Audio is 8 kHz mu-law both ways (``runner.audio``), as carriers' media streams carry it.
Engines are made once per process (a recognizer's model is loaded once) and open one
session per call.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Protocol, TypeAlias


class SpeechError(Exception):
    """A speech engine failed (not installed, not reachable, refused the request); the
    message says which and why, without any credential."""


class Synthesizer(Protocol):
    """Text to speech (TTS)."""

    #: Names the engine in logs and ``callflow setup``: "espeak-ng", "openai", ...
    name: str

    def synthesize(
        self, text: str, *, voice: str | None = None, language: str | None = None
    ) -> AsyncGenerator[bytes, None]:
        """``text`` spoken, as 8 kHz mu-law in chunks of any size, the first as soon as
        the engine has it. Raises SpeechError. Closing the generator early (the caller
        barged in) stops the engine at once."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class SpeechStarted:
    """The caller started speaking (voice activity): what barge-in listens for."""

    #: Seconds of the session's audio before it, from the first frame fed.
    at: float


@dataclass(frozen=True)
class Heard:
    """Words the recognizer heard: a partial guess while the caller speaks, or the final
    words of an utterance once they stop."""

    text: str
    final: bool
    confidence: float | None = None
    #: Seconds of the session's audio at the end of the words.
    at: float = 0.0


RecognizerEvent: TypeAlias = SpeechStarted | Heard


class RecognizerSession(Protocol):
    """One call's speech recognition."""

    def feed(self, audio: bytes) -> None:
        """8 kHz mu-law from the caller, in order. Taken from the first moment, before the
        engine is ready too: audio is queued until it listens, never lost."""
        ...

    async def ready(self) -> None:
        """Returns once the engine hears what is fed (at once for most). Raises SpeechError."""
        ...

    def events(self) -> AsyncIterator[RecognizerEvent]:
        """What is heard, in order, until the session is closed."""
        ...

    async def aclose(self) -> None: ...


class Recognizer(Protocol):
    """Streaming speech recognition (STT) with end-of-speech detection."""

    name: str

    def open(self) -> RecognizerSession:
        """A session for one call; returns at once (the engine may still be starting)."""
        ...

    async def aclose(self) -> None: ...
