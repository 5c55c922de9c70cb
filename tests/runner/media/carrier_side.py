"""A carrier's side of a media stream, for the tests, whatever its protocol: it opens the
socket, says ``start`` with the token a document minted, streams the caller's audio as
20 ms mu-law frames at the pace of real time, presses keys, and records what the server
sends back, answering each mark as the carrier does once playback reaches it.

Each carrier's side (plivo_side.py, telnyx_side.py) says how its messages are written
and read; what a message breaks of its protocol is kept in ``problems``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import websockets

from runner.audio import FRAME_BYTES, FRAME_SECONDS, SILENCE_BYTE, frames
from tests.runner.media.twilio_side import PATIENCE_SECONDS, Received


@dataclass(frozen=True)
class Taken:
    """What one of the server's messages was: ``kind`` is media, mark, clear or its own
    event; ``audio`` the media's, ``mark`` the mark's name; ``answer`` what the carrier
    sends back to it."""

    kind: str
    audio: bytes = b""
    mark: str = ""
    answer: dict[str, Any] | None = None


class CarrierMediaSide(ABC):
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.received = Received()
        #: Messages from the server that its carrier's protocol does not have, or not so.
        self.problems: list[str] = []
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()

    @abstractmethod
    def opening(self) -> list[dict[str, Any]]:
        """What the carrier sends once the socket is open, ``start`` last."""

    @abstractmethod
    def media(self, frame: bytes) -> dict[str, Any]: ...

    @abstractmethod
    def dtmf(self, digit: str) -> dict[str, Any]: ...

    @abstractmethod
    def take(self, message: dict[str, Any]) -> Taken:
        """What a message from the server is; adds to ``problems`` what is wrong with it."""

    async def __aenter__(self) -> Self:
        self._socket = await websockets.connect(self.url)
        for message in self.opening():
            await self._send(message)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    async def say(self, audio: bytes) -> None:
        """The caller's audio, one 20 ms frame at a time, in real time."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        for index, frame in enumerate(frames(audio)):
            await self._send(self.media(frame))
            await asyncio.sleep(max(0.0, started + (index + 1) * FRAME_SECONDS - loop.time()))

    async def keep_silent(self, seconds: float) -> None:
        await self.say(bytes([SILENCE_BYTE]) * round(seconds / FRAME_SECONDS) * FRAME_BYTES)

    async def press(self, digit: str) -> None:
        await self._send(self.dtmf(digit))

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            await self._reader

    async def wait_for(self, what: str, check: Any) -> None:
        """Wait until ``check(received)`` holds; fails saying ``what`` it waited for."""

        async def until() -> None:
            # Woken by each message, and every 50 ms for what happens elsewhere (a REST call).
            async with self._changed:
                while not check(self.received):
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), 0.05)

        try:
            await asyncio.wait_for(until(), PATIENCE_SECONDS)
        except TimeoutError:
            raise AssertionError(
                f"waited {PATIENCE_SECONDS:g} s for {what}; got {self.received.order}"
            ) from None

    async def _send(self, message: dict[str, Any]) -> None:
        await self._socket.send(json.dumps(message))

    async def _read(self) -> None:
        try:
            async for text in self._socket:
                taken = self.take(json.loads(text))
                received = self.received
                if taken.kind == "media":
                    received.media.append(taken.audio)
                elif taken.kind == "mark":
                    received.marks.append(taken.mark)
                elif taken.kind == "clear":
                    received.clears += 1
                if taken.answer is not None:
                    await self._send(taken.answer)
                received.order.append(taken.kind)
                received.times.append(asyncio.get_running_loop().time())
                async with self._changed:
                    self._changed.notify_all()
        except websockets.ConnectionClosed:
            pass
        async with self._changed:
            self._changed.notify_all()


def payload(text: Any) -> bytes:
    """A base64 payload's bytes; empty when it is none."""
    return base64.b64decode(text) if isinstance(text, str) else b""
