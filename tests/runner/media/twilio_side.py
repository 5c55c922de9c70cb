"""Twilio's side of a media stream, for the tests: it opens the socket with the token a
document minted, sends ``connected`` and ``start``, streams the caller's audio as 20 ms
mu-law frames at the pace of real time, presses keys, and records what the server sends
back, echoing each mark as Twilio does once playback reaches it."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import websockets

from runner.audio import FRAME_BYTES, FRAME_SECONDS, SILENCE_BYTE, frames
from runner.speech import EspeakSynthesizer

#: Long enough for anything here; only a broken server waits this long.
PATIENCE_SECONDS = 60.0


def stream_of(document: str) -> tuple[str, str]:
    """The stream URL and token of a ``<Connect><Stream>`` document."""
    url = re.search(r'<Stream url="([^"]+)"', document)
    token = re.search(r'<Parameter name="token" value="([^"]+)"', document)
    assert url is not None, document
    assert token is not None, document
    return url.group(1), token.group(1)


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


class TwilioMediaSide:
    def __init__(self, url: str, token: str, *, call_sid: str = "CA-in-1", stream_sid: str = "MZ-1") -> None:
        self.url, self.token = url, token
        self.call_sid, self.stream_sid = call_sid, stream_sid
        self.received = Received()
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()
        self.closed_by_server: int | None = None

    async def __aenter__(self) -> TwilioMediaSide:
        await self.open()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    async def open(self, *, send_start: bool = True) -> None:
        self._socket = await websockets.connect(self.url)
        await self._send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        if send_start:
            await self._send(
                {
                    "event": "start",
                    "sequenceNumber": "1",
                    "streamSid": self.stream_sid,
                    "start": {
                        "streamSid": self.stream_sid,
                        "callSid": self.call_sid,
                        "tracks": ["inbound"],
                        "customParameters": {"token": self.token},
                        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                    },
                }
            )
        self._reader = asyncio.create_task(self._read())

    async def say(self, audio: bytes) -> None:
        """The caller's audio, one 20 ms frame at a time, in real time."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        for index, frame in enumerate(frames(audio)):
            payload = base64.b64encode(frame).decode()
            await self._send({"event": "media", "streamSid": self.stream_sid, "media": {"payload": payload}})
            await asyncio.sleep(max(0.0, started + (index + 1) * FRAME_SECONDS - loop.time()))

    async def keep_silent(self, seconds: float) -> None:
        await self.say(bytes([SILENCE_BYTE]) * round(seconds / FRAME_SECONDS) * FRAME_BYTES)

    async def press(self, digit: str) -> None:
        await self._send({"event": "dtmf", "streamSid": self.stream_sid, "dtmf": {"digit": digit}})

    async def stop(self) -> None:
        await self._send({"event": "stop", "streamSid": self.stream_sid, "stop": {"callSid": self.call_sid}})

    async def drop(self) -> None:
        """Close the socket without ``stop``: the stream dropped."""
        await self._socket.close()
        if self._reader is not None:
            await self._reader

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
                message = json.loads(text)
                event = message.get("event")
                received = self.received
                if event == "media":
                    received.media.append(base64.b64decode(message["media"]["payload"]))
                elif event == "mark":
                    received.marks.append(message["mark"]["name"])
                    # Playback reached the mark: Twilio sends it back.
                    await self._send(message)
                elif event == "clear":
                    received.clears += 1
                received.order.append(str(event))
                received.times.append(asyncio.get_running_loop().time())
                async with self._changed:
                    self._changed.notify_all()
        except websockets.ConnectionClosed as closed:
            self.closed_by_server = closed.rcvd.code if closed.rcvd is not None else None
        async with self._changed:
            self._changed.notify_all()


def frames_after(received: Received, event: str) -> int:
    """How many media frames came after the first ``event`` message, up to the next mark."""
    order = received.order
    start = order.index(event) + 1
    end = order.index("mark", start) if "mark" in order[start:] else len(order)
    return order[start:end].count("media")


def spoken_frames(text: str) -> int:
    """How many 20 ms frames the server's synthesizer (espeak-ng, its default voice) makes of ``text``."""

    async def synthesize() -> bytes:
        synthesizer = EspeakSynthesizer()
        try:
            return b"".join([chunk async for chunk in synthesizer.synthesize(text)])
        finally:
            await synthesizer.aclose()

    return -(-len(asyncio.run(synthesize())) // FRAME_BYTES)
