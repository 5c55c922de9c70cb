"""A real WebSocket server on 127.0.0.1 standing in for a hosted speech recognizer
(Deepgram's listen socket, OpenAI's realtime transcription).

It refuses the upgrade with 401 unless the Authorization header is the expected one,
records each connection (path, headers, text messages, audio), and once the audio it
has received reaches ``reply_after`` bytes, sends the replies the test scripted; then
``close_with`` (a close code and reason), if set, ends the connection from its side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

#: Gets the audio out of one message from the client; None for a message that is not audio.
AudioOf = Callable[[str | bytes], bytes | None]


@dataclass
class Received:
    path: str
    headers: Headers
    texts: list[str] = field(default_factory=list)
    audio: bytearray = field(default_factory=bytearray)
    done: asyncio.Event = field(default_factory=asyncio.Event)


class SocketStandIn:
    def __init__(
        self,
        *,
        authorization: str,
        audio_of: AudioOf,
        replies: Sequence[str] = (),
        reply_after: int = 0,
        close_with: tuple[int, str] | None = None,
    ) -> None:
        self.connections: list[Received] = []
        self._authorization = authorization
        self._audio_of = audio_of
        self._replies = replies
        self._reply_after = reply_after
        self._close_with = close_with
        self._server: Server | None = None
        self._connected = asyncio.Event()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stand-in is not started")
        host, port = next(iter(self._server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}"

    async def __aenter__(self) -> SocketStandIn:
        self._server = await serve(self._handle, "127.0.0.1", 0, process_request=self._check_authorization)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def finished(self) -> Received:
        """The first connection, once the client has closed it."""
        await asyncio.wait_for(self._connected.wait(), 30)
        await asyncio.wait_for(self.connections[0].done.wait(), 30)
        return self.connections[0]

    def _check_authorization(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.headers.get("Authorization") != self._authorization:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid credentials\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        request = connection.request
        if request is None:
            return
        received = Received(path=request.path, headers=request.headers)
        self.connections.append(received)
        self._connected.set()
        replied = False
        try:
            async for message in connection:
                audio = self._audio_of(message)
                if audio is None:
                    received.texts.append(message if isinstance(message, str) else message.decode())
                    continue
                received.audio += audio
                if not replied and len(received.audio) >= self._reply_after:
                    replied = True
                    for reply in self._replies:
                        await connection.send(reply)
                    if self._close_with is not None:
                        await connection.close(*self._close_with)
        except ConnectionClosed:
            pass
        finally:
            received.done.set()
