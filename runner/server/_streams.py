"""Media stream sockets: who may open one, and how long they may wait to say who they are.

A carrier opens the stream a ``<Stream>`` document asked for. Twilio strips the query
string of the stream URL, so the document carries a one-time token as a ``<Parameter>``
(Plivo: in ``extraHeaders``), which comes back in the stream's ``start`` message, read by
the carrier's ``StreamProtocol``. A socket is
accepted only with an unused, unexpired token, must send ``start`` within
``start_seconds``, and sockets still waiting for ``start`` are capped per address and
in total. Tokens are minted only while a webhook's document is rendered, behind the
webhook guard, so a replayed webhook (answered by the guard) never mints one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.websockets import WebSocket, WebSocketDisconnect

from runner.media import TWILIO_STREAMS, Stopped, StreamProtocol, StreamStart
from runner.server._slots import AddressSlots
from runner.service import StreamTokens

logger = logging.getLogger("callflow.server")

#: WebSocket close code for a refused stream (RFC 6455 "policy violation").
POLICY_VIOLATION = 1008


@dataclass(frozen=True)
class StreamLimits:
    start_seconds: float = 5.0
    pending_per_address: int = 4
    pending_total: int = 64


#: What runs a stream once it has started: the call id, the socket, what the start said.
StreamHandler = Callable[[str, WebSocket, StreamStart], Awaitable[None]]


def drain_until_stop(protocol: StreamProtocol) -> StreamHandler:
    """Without a media path (no flow streams): read until the carrier stops."""

    async def drain(call_id: str, websocket: WebSocket, start: StreamStart) -> None:
        while not isinstance(protocol.read(await websocket.receive_text()), Stopped):
            pass

    return drain


class StreamGate:
    """The WebSocket endpoint of media streams."""

    def __init__(
        self,
        tokens: StreamTokens,
        handler: StreamHandler | None = None,
        limits: StreamLimits | None = None,
        protocol: StreamProtocol = TWILIO_STREAMS,
    ) -> None:
        self.tokens = tokens
        self.protocol = protocol
        self.handler = handler or drain_until_stop(protocol)
        self.limits = limits or StreamLimits()
        # Sockets accepted but not started yet: the ones a slow or hostile client can pile up.
        self._pending = AddressSlots(self.limits.pending_per_address, total=self.limits.pending_total)

    async def handle(self, websocket: WebSocket) -> None:
        address = websocket.client.host if websocket.client is not None else ""
        if not self._pending.enter(address):
            await websocket.close(code=POLICY_VIOLATION)  # before accept: the handshake is refused
            return
        try:
            await websocket.accept()
            started = await self._start(websocket)
        finally:
            self._pending.leave(address)
        if started is None:
            await websocket.close(code=POLICY_VIOLATION)
            return
        call_id, start = started
        try:
            await self.handler(call_id, websocket, start)
            await websocket.close()
        except (WebSocketDisconnect, ValueError, RuntimeError):
            # The carrier closed first (it does, after stop): nothing is left to close.
            return

    async def _start(self, websocket: WebSocket) -> tuple[str, StreamStart] | None:
        """The call id and what the start said, once a valid ``start`` arrives in time."""
        try:
            async with asyncio.timeout(self.limits.start_seconds):
                while (start := self.protocol.start(await websocket.receive_text())) is None:
                    pass  # "connected" comes first
        except (TimeoutError, WebSocketDisconnect, ValueError, KeyError):
            return None
        call_id = self.tokens.consume(start.token) if start.token is not None else None
        return None if call_id is None else (call_id, start)
