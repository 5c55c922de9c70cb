"""A real WebSocket server on 127.0.0.1 standing in for OpenAI's Realtime API.

It refuses the upgrade with 401 unless the bearer token is the expected one, records
each connection (its path, headers, every event the client sent, the caller audio of
``input_audio_buffer.append``), and lets the test play the model: wait for the client's
next event of a type, send the server's events.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

#: The key the tests configure; a test asserts it never shows in a message.
API_KEY = "sk-realtime-SECRET-4242"
#: Long enough for anything here; only a broken client waits this long.
PATIENCE_SECONDS = 30.0


@dataclass
class Peer:
    """One client connection, as the model sees it."""

    path: str
    headers: Headers
    connection: ServerConnection
    #: Every event received, in order (audio appends included).
    events: list[dict[str, Any]] = field(default_factory=list)
    audio: bytearray = field(default_factory=bytearray)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    _taken: int = 0

    async def next_event(self, kind: str) -> dict[str, Any]:
        """The next event of type ``kind`` received after the last one taken."""

        async def until() -> dict[str, Any]:
            async with self._arrived:
                while True:
                    for index in range(self._taken, len(self.events)):
                        if self.events[index]["type"] == kind:
                            self._taken = index + 1
                            return self.events[index]
                    await self._arrived.wait()

        try:
            return await asyncio.wait_for(until(), PATIENCE_SECONDS)
        except TimeoutError:
            kinds = [event["type"] for event in self.events]
            raise AssertionError(f"waited for the client's {kind}; got {kinds}") from None

    async def audio_reaches(self, size: int) -> None:
        async def until() -> None:
            async with self._arrived:
                while len(self.audio) < size:
                    await self._arrived.wait()

        await asyncio.wait_for(until(), PATIENCE_SECONDS)

    async def send(self, event: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(event))

    async def speak(self, response: str, audio: bytes, transcript: str | None = None) -> None:
        """A response of the model: its audio in pieces, its end, and its words."""
        for start in range(0, len(audio), 800):
            delta = base64.b64encode(audio[start : start + 800]).decode()
            await self.send({"type": "response.output_audio.delta", "response_id": response, "delta": delta})
        await self.send({"type": "response.output_audio.done", "response_id": response})
        if transcript is not None:
            await self.send(
                {
                    "type": "response.output_audio_transcript.done",
                    "response_id": response,
                    "transcript": transcript,
                }
            )

    async def call_tool(self, call_id: str, name: str, arguments: dict[str, Any]) -> None:
        await self.send(
            {
                "type": "response.function_call_arguments.done",
                "response_id": "resp-tool",
                "call_id": call_id,
                "name": name,
                "arguments": json.dumps(arguments),
            }
        )


class RealtimeStandIn:
    def __init__(self, *, port: int = 0, api_key: str = API_KEY) -> None:
        self.port = port
        self.peers: list[Peer] = []
        self._authorization = f"Bearer {api_key}"
        self._server: Server | None = None
        self._connected = asyncio.Event()

    @property
    def url(self) -> str:
        """The base URL, as the config's audio.realtime.base_url takes it."""
        if self._server is None:
            raise RuntimeError("the stand-in is not started")
        host, port = next(iter(self._server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}/v1"

    async def __aenter__(self) -> RealtimeStandIn:
        self._server = await serve(
            self._handle, "127.0.0.1", self.port, process_request=self._check_authorization
        )
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def peer(self) -> Peer:
        """The first connection, once it is made."""
        await asyncio.wait_for(self._connected.wait(), PATIENCE_SECONDS)
        return self.peers[0]

    def _check_authorization(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.headers.get("Authorization") != self._authorization:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid api key\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        request = connection.request
        if request is None:
            return
        peer = Peer(request.path, request.headers, connection)
        self.peers.append(peer)
        self._connected.set()
        try:
            async for message in connection:
                event = json.loads(message)
                async with peer._arrived:
                    peer.events.append(event)
                    if event.get("type") == "input_audio_buffer.append":
                        peer.audio += base64.b64decode(event["audio"])
                    peer._arrived.notify_all()
        except ConnectionClosed:
            pass
        finally:
            peer.closed.set()
