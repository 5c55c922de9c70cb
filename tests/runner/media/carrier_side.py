"""A carrier's side of a media stream, for the tests, whatever its protocol: it opens the
socket, says ``start`` with the token a document minted, streams the caller's audio as
20 ms mu-law frames at the pace of real time, presses keys, and records what the server
sends back, answering each mark as the carrier does once playback reaches it.

Each carrier's side (twilio_side.py, plivo_side.py, telnyx_side.py) says how its
messages are written and read; what a message breaks of its protocol is kept in
``problems``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import websockets

from runner.audio import FRAME_BYTES, FRAME_SECONDS, SILENCE_BYTE, frames

#: Long enough for anything here; only a broken server waits this long.
PATIENCE_SECONDS = 60.0


@dataclass
class Received:
    """What the server sent, in order: media payloads, mark names, clears."""

    media: list[bytes] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)
    clears: int = 0
    #: Every message, as sent, in order (``media`` ones as "media").
    order: list[str] = field(default_factory=list)
    #: When each message of ``order`` came (the event loop's clock).
    times: list[float] = field(default_factory=list)


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
        #: The close code the server sent, once it closed the socket.
        self.closed_by_server: int | None = None

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
        await self.open()
        return self

    async def open(self, *, send_start: bool = True) -> None:
        """Open the socket and say what the carrier says first (without ``start``: a
        carrier that never says who it is)."""
        self._socket = await websockets.connect(self.url)
        opening = self.opening()
        for message in opening if send_start else opening[:-1]:
            await self._send(message)
        self._reader = asyncio.create_task(self._read())

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

    async def drop(self) -> None:
        """Close the socket without saying the stream stopped: the stream dropped."""
        await self.close()

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
        except websockets.ConnectionClosed as closed:
            self.closed_by_server = closed.rcvd.code if closed.rcvd is not None else None
        async with self._changed:
            self._changed.notify_all()


def payload(text: Any) -> bytes:
    """A base64 payload's bytes; empty when it is none."""
    return base64.b64decode(text) if isinstance(text, str) else b""
