"""Media stream sockets: who may open one, and how long they may wait to say who they are.

A carrier opens the stream a ``<Connect><Stream>`` document asked for. Twilio strips
the query string of the stream URL, so the document carries a one-time token as a
``<Parameter>``, which comes back in the stream's ``start`` message. A socket is
accepted only with an unused, unexpired token, must send ``start`` within
``start_seconds``, and sockets still waiting for ``start`` are capped per address and
in total. Tokens are minted only while a webhook's document is rendered, behind the
webhook guard, so a replayed webhook (answered by the guard) never mints one.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

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


#: What runs a stream once it has started: the call id, the socket, the start message.
StreamHandler = Callable[[str, WebSocket, dict[str, Any]], Awaitable[None]]


async def drain_until_stop(call_id: str, websocket: WebSocket, start: dict[str, Any]) -> None:
    """Until a later issue gives streams something to do: read until the carrier stops."""
    while True:
        message = json.loads(await websocket.receive_text())
        if isinstance(message, dict) and message.get("event") == "stop":
            return


class StreamGate:
    """The WebSocket endpoint of media streams."""

    def __init__(
        self,
        tokens: StreamTokens,
        handler: StreamHandler = drain_until_stop,
        limits: StreamLimits | None = None,
    ) -> None:
        self.tokens = tokens
        self.handler = handler
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

    async def _start(self, websocket: WebSocket) -> tuple[str, dict[str, Any]] | None:
        """The call id and start message, once a valid ``start`` arrives in time."""
        try:
            async with asyncio.timeout(self.limits.start_seconds):
                while True:
                    message = json.loads(await websocket.receive_text())
                    if not isinstance(message, dict) or message.get("event") != "start":
                        continue  # "connected" comes first
                    start = message.get("start")
                    parameters = start.get("customParameters") if isinstance(start, dict) else None
                    token = parameters.get("token") if isinstance(parameters, dict) else None
                    call_id = self.tokens.consume(token) if isinstance(token, str) else None
                    if call_id is None or not isinstance(start, dict):
                        return None
                    return call_id, start
        except (TimeoutError, WebSocketDisconnect, ValueError, KeyError):
            return None
