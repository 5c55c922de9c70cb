"""A recognizer session over a hosted engine's WebSocket: the connection, the audio sent
as it comes, the engine's messages read as events, and failures as SpeechError.

What differs between engines (the URL, the greeting, how audio is wrapped, what their
messages mean) is a ``SocketDialect``; the rest is here once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from runner.audio import SAMPLE_RATE
from runner.speech._channel import EventChannel
from runner.speech._interfaces import RecognizerEvent, SpeechError

#: Audio queued while connecting is sent in pieces of at most a second (8 kHz mu-law).
_MAX_CHUNK = 8000
#: How long closing waits for the engine to close its side.
_CLOSE_SECONDS = 2.0


class SocketDialect(Protocol):
    """One hosted engine's side of the conversation."""

    #: The engine's name for messages: "Deepgram", "OpenAI".
    provider: str
    url: str
    headers: dict[str, str]

    def opening(self) -> list[str]:
        """Messages sent once connected, before any audio."""
        ...

    def audio(self, chunk: bytes) -> str | bytes:
        """The message that carries ``chunk`` of 8 kHz mu-law."""
        ...

    def closing(self) -> list[str]:
        """Messages sent before closing."""
        ...

    def read(self, message: str | bytes, fed_seconds: float) -> list[RecognizerEvent]:
        """The events in one of the engine's messages (``fed_seconds`` of audio sent by
        then). Raises SpeechError for a message that reports an error."""
        ...


def masked(text: str, secret: str) -> str:
    """``text`` with ``secret`` (an API key) blanked wherever it appears."""
    return text.replace(secret, "***") if secret else text


class SocketSession:
    """One call's audio to a hosted engine; its words back as events."""

    def __init__(self, dialect: SocketDialect, secret: str) -> None:
        self._dialect = dialect
        self._secret = secret
        self._audio: asyncio.Queue[bytes] = asyncio.Queue()
        self._fed_bytes = 0
        self._closed = False
        self._channel = EventChannel()
        loop = asyncio.get_running_loop()
        self._connection = loop.create_task(self._connect())
        self._worker = loop.create_task(self._run())

    def feed(self, audio: bytes) -> None:
        if not self._closed:
            self._audio.put_nowait(audio)

    async def ready(self) -> None:
        await asyncio.shield(self._connection)

    def events(self) -> AsyncIterator[RecognizerEvent]:
        return self._channel.events()

    async def aclose(self) -> None:
        self._closed = True
        if self._connection.done() and not self._connection.cancelled() and not self._connection.exception():
            socket = self._connection.result()
            with contextlib.suppress(ConnectionClosed):
                for message in self._dialect.closing():
                    await socket.send(message)
            with contextlib.suppress(WebSocketException, OSError, TimeoutError):
                await asyncio.wait_for(socket.close(), _CLOSE_SECONDS)
        self._connection.cancel()
        self._worker.cancel()
        for task in (self._connection, self._worker):
            with contextlib.suppress(asyncio.CancelledError, SpeechError):
                await task
        self._channel.close()

    async def _connect(self) -> ClientConnection:
        provider, url = self._dialect.provider, self._dialect.url
        try:
            return await connect(url, additional_headers=self._dialect.headers)
        except InvalidStatus as error:
            status = error.response.status_code
            hint = ": check the API key" if status in (401, 403) else ""
            raise SpeechError(f"{provider} refused the connection with HTTP {status}{hint}") from None
        except (WebSocketException, OSError, TimeoutError) as error:
            reason = masked(str(error) or type(error).__name__, self._secret)
            raise SpeechError(f"could not connect to {provider} at {url}: {reason}") from None

    async def _run(self) -> None:
        try:
            socket = await asyncio.shield(self._connection)
            for message in self._dialect.opening():
                await socket.send(message)
            sender = asyncio.get_running_loop().create_task(self._send_audio(socket))
            try:
                await self._receive(socket)
            finally:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
        except SpeechError as error:
            self._channel.fail(error)
        except ConnectionClosed as error:
            self._channel.fail(self._closed_error(error))

    async def _send_audio(self, socket: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                pieces = [await self._audio.get()]
                size = len(pieces[0])
                # A backlog (audio fed while connecting) goes in fewer, larger messages.
                while not self._audio.empty() and size < _MAX_CHUNK:
                    pieces.append(self._audio.get_nowait())
                    size += len(pieces[-1])
                chunk = b"".join(pieces)
                await socket.send(self._dialect.audio(chunk))
                self._fed_bytes += len(chunk)

    async def _receive(self, socket: ClientConnection) -> None:
        async for message in socket:
            for event in self._dialect.read(message, self._fed_bytes / SAMPLE_RATE):
                self._channel.put(event)
        if not self._closed:
            # The engine closed cleanly, but the call still talks: nothing more is heard.
            raise SpeechError(f"{self._dialect.provider} closed the connection")

    def _closed_error(self, error: ConnectionClosed) -> SpeechError:
        frame = error.rcvd
        detail = f" (code {frame.code}: {masked(frame.reason, self._secret)})" if frame is not None else ""
        return SpeechError(f"{self._dialect.provider} closed the connection{detail}")


class HostedRecognizer:
    """A recognizer on a hosted WebSocket API: one socket session per call, spoken in the
    engine's ``dialect``. Subclasses name the engine and its defaults."""

    name: str
    #: How messages name the engine: "Deepgram", "OpenAI transcription".
    provider: str
    dialect: Callable[..., SocketDialect]
    default_base_url: str
    default_model: str

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        model: str | None = None,
        language: str | None = "en",
        silence_ms: int = 600,
    ) -> None:
        if not api_key:
            raise SpeechError(f"{self.provider} needs an API key (api_key)")
        self._api_key = api_key
        self._settings = {
            "base_url": base_url or self.default_base_url,
            "model": model or self.default_model,
            "language": language,
            "silence_ms": silence_ms,
        }

    def open(self) -> SocketSession:
        return SocketSession(self.dialect(api_key=self._api_key, **self._settings), self._api_key)

    async def aclose(self) -> None:
        return None
