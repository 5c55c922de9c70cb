"""OpenAI's Realtime API over WebSocket: a speech-to-speech model on the call, fed and
speaking G.711 mu-law (``audio/pcmu``) as the carrier sends and plays it.

This follows the GA interface (``session.update`` with ``session.type`` "realtime",
``audio.input``/``audio.output`` formats, ``output_modalities``; the server's
``response.output_audio.*`` events). The beta's event names (``response.audio.delta``,
``response.audio_transcript.done``) are read too, so a server still speaking the beta
dialect plays. The server's voice activity detection takes turns: it says when the
caller starts speaking (``input_audio_buffer.speech_started``: barge-in) and answers
once they stop; its own transcription gives the caller's words.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from runner.realtime._interfaces import (
    BotAudio,
    BotAudioDone,
    CallerSpeechStarted,
    ProviderWarning,
    RealtimeError,
    RealtimeEvent,
    RealtimeRefused,
    RealtimeTool,
    ToolCalled,
    Transcript,
)
from runner.types import Speaker

logger = logging.getLogger("callflow.realtime")

DEFAULT_BASE_URL = "wss://api.openai.com/v1"
DEFAULT_MODEL = "gpt-realtime"
DEFAULT_VOICE = "alloy"
#: Transcribes the caller's side for the call's transcript (the model hears the audio itself).
TRANSCRIPTION_MODEL = "gpt-4o-mini-transcribe"

_PROVIDER = "OpenAI Realtime"
#: Audio queued while a message is being sent goes in pieces of at most a second.
_MAX_CHUNK = 8000
_CLOSE_SECONDS = 2.0

_AUDIO_DELTA = frozenset({"response.output_audio.delta", "response.audio.delta"})
_AUDIO_DONE = frozenset({"response.output_audio.done", "response.audio.done"})
_BOT_SAID = frozenset({"response.output_audio_transcript.done", "response.audio_transcript.done"})


def session_update(instructions: str, tools: tuple[RealtimeTool, ...], voice: str) -> dict[str, Any]:
    """The ``session.update`` that sets a call's session up."""
    return {
        "type": "session.update",
        "session": {
            "type": "realtime",
            "instructions": instructions,
            "output_modalities": ["audio"],
            "audio": {
                "input": {
                    "format": {"type": "audio/pcmu"},
                    "transcription": {"model": TRANSCRIPTION_MODEL},
                    "turn_detection": {
                        "type": "server_vad",
                        "create_response": True,
                        "interrupt_response": True,
                    },
                },
                "output": {"format": {"type": "audio/pcmu"}, "voice": voice},
            },
            "tools": [
                {
                    "type": "function",
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": dict(tool.parameters),
                }
                for tool in tools
            ],
            "tool_choice": "auto",
        },
    }


def read_event(message: str | bytes) -> list[RealtimeEvent]:
    """The events in one of the server's messages (none for those the call has no use for)."""
    try:
        body = json.loads(message)
    except ValueError:
        return [ProviderWarning(f"{_PROVIDER} sent a message that is not JSON")]
    if not isinstance(body, dict):
        return [ProviderWarning(f"{_PROVIDER} sent a message that is not a JSON object")]
    kind = body.get("type")
    if kind in _AUDIO_DELTA:
        try:
            audio = base64.b64decode(str(body.get("delta") or ""), validate=True)
        except ValueError:
            return [ProviderWarning(f"{_PROVIDER} sent audio that is not base64")]
        return [BotAudio(str(body.get("response_id") or ""), audio)] if audio else []
    if kind in _AUDIO_DONE:
        return [BotAudioDone(str(body.get("response_id") or ""))]
    if kind == "input_audio_buffer.speech_started":
        return [CallerSpeechStarted()]
    if kind == "conversation.item.input_audio_transcription.completed":
        return _said(Speaker.CALLER, body.get("transcript"))
    if kind in _BOT_SAID:
        return _said(Speaker.BOT, body.get("transcript"))
    if kind == "response.function_call_arguments.done":
        return [_tool_called(body)]
    if kind == "error":
        error = body.get("error")
        detail = error.get("message") if isinstance(error, dict) else None
        return [ProviderWarning(f"{_PROVIDER} reported an error: {detail or 'no detail'}")]
    return []


def _said(speaker: Speaker, transcript: object) -> list[RealtimeEvent]:
    text = transcript.strip() if isinstance(transcript, str) else ""
    return [Transcript(speaker, text)] if text else []


def _tool_called(body: dict[str, Any]) -> ToolCalled:
    try:
        arguments = json.loads(str(body.get("arguments") or "{}"))
    except ValueError:
        arguments = {}
    return ToolCalled(
        call_id=str(body.get("call_id") or ""),
        name=str(body.get("name") or ""),
        arguments=arguments if isinstance(arguments, dict) else {},
    )


def _masked(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


class OpenAIRealtimeSession:
    """One call's conversation with an OpenAI realtime model, over its own WebSocket."""

    def __init__(self, socket: ClientConnection, secret: str) -> None:
        self._socket = socket
        self._secret = secret
        self._audio: asyncio.Queue[bytes] = asyncio.Queue()
        self._closed = False
        self._sender = asyncio.get_running_loop().create_task(self._send_audio())

    def send_audio(self, audio: bytes) -> None:
        if not self._closed:
            self._audio.put_nowait(audio)

    async def configure(self, instructions: str, tools: tuple[RealtimeTool, ...], voice: str) -> None:
        """Set the session up: told before any audio."""
        await self._send(session_update(instructions, tools, voice))

    async def respond(self, instructions: str | None = None) -> None:
        response = {} if instructions is None else {"instructions": instructions}
        await self._send({"type": "response.create", "response": response})

    async def send_tool_result(self, call_id: str, output: str) -> None:
        item = {"type": "function_call_output", "call_id": call_id, "output": output}
        await self._send({"type": "conversation.item.create", "item": item})
        await self._send({"type": "response.create"})

    async def events(self) -> AsyncIterator[RealtimeEvent]:
        try:
            async for message in self._socket:
                for event in read_event(message):
                    yield event
        except ConnectionClosed as closed:
            if self._closed:
                return
            frame = closed.rcvd
            detail = (
                f" (code {frame.code}: {_masked(frame.reason, self._secret)})" if frame is not None else ""
            )
            raise RealtimeError(f"{_PROVIDER} closed the connection{detail}") from None
        if not self._closed:
            raise RealtimeError(f"{_PROVIDER} closed the connection")

    async def aclose(self) -> None:
        self._closed = True
        self._sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._sender
        with contextlib.suppress(WebSocketException, OSError, TimeoutError):
            await asyncio.wait_for(self._socket.close(), _CLOSE_SECONDS)

    async def _send(self, message: dict[str, Any]) -> None:
        """Send one event; a connection already closed drops it (the events say why)."""
        with contextlib.suppress(ConnectionClosed):
            await self._socket.send(json.dumps(message))

    async def _send_audio(self) -> None:
        while True:
            pieces = [await self._audio.get()]
            size = len(pieces[0])
            # A backlog (audio heard while a message went out) goes in fewer, larger messages.
            while not self._audio.empty() and size < _MAX_CHUNK:
                pieces.append(self._audio.get_nowait())
                size += len(pieces[-1])
            audio = base64.b64encode(b"".join(pieces)).decode("ascii")
            await self._send({"type": "input_audio_buffer.append", "audio": audio})


class OpenAIRealtime:
    """Calls talked through by an OpenAI realtime model (an API key; audio leaves the machine)."""

    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        model: str = DEFAULT_MODEL,
        voice: str = DEFAULT_VOICE,
    ) -> None:
        if not api_key:
            raise RealtimeError("the openai realtime provider needs an API key")
        self._api_key = api_key
        self.url = f"{base_url.rstrip('/')}/realtime?model={quote(model, safe='')}"
        self.voice = voice

    async def connect(self, instructions: str, tools: tuple[RealtimeTool, ...]) -> OpenAIRealtimeSession:
        headers = {"Authorization": f"Bearer {self._api_key}"}
        try:
            socket = await connect(self.url, additional_headers=headers)
        except InvalidStatus as error:
            raise RealtimeRefused(_PROVIDER, error.response.status_code) from None
        except (WebSocketException, OSError, TimeoutError) as error:
            reason = _masked(str(error) or type(error).__name__, self._api_key)
            raise RealtimeError(f"could not connect to {_PROVIDER} at {self.url}: {reason}") from None
        session = OpenAIRealtimeSession(socket, self._api_key)
        await session.configure(instructions, tools, self.voice)
        return session
