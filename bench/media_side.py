"""Twilio's side of many media streams at once, lean enough that one core drives hundreds.

Each stream is a WebSocket client on an asyncio Protocol, its RFC 6455 frames written
and read by hand (as bench/two_turn_calls.py writes HTTP by hand): a client library's
cost per message would have measured the client, at 100 messages a second a stream. It
speaks as Twilio does (../shared/providers.md): ``connected``, ``start`` with the
call's token, one 20 ms mu-law ``media`` frame every 20 ms (``send_media``, paced by the
caller), each ``mark`` echoed once the audio before it has played, ``stop`` at the end.

What a stream records while ``counting`` is on:
- frames sent, and frames not sent because TCP flow control paused the socket (the
  server stopped reading);
- frames received, each checked: 160 bytes of audio, for this stream;
- playout lateness of each frame received: the caller hears a frame from the moment
  the audio before it has played (the first frame after a mark starts the clock, as an
  utterance starts); lateness is its arrival minus that moment, negative when it came
  ahead, positive when the caller heard a gap;
- handling latency: every fifth media frame sent is followed at once by a WebSocket
  ping; the server's event loop answers a ping as soon as it reads it, behind every
  frame before it on the socket, so the time to the pong is how long the server took to
  get to that frame, plus the loopback round trip and this process's own delay.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
import time
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from websockets.speedups import apply_mask  # type: ignore[import-not-found, unused-ignore]

from runner.audio import FRAME_BYTES, FRAME_SECONDS

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA
#: A ping follows every this many media frames: ten a second a stream.
PING_EVERY = 5
#: Problems kept word for word; the rest are only counted.
KEPT_PROBLEMS = 5


class StreamError(Exception):
    """A stream could not be opened as Twilio opens one."""


class StreamTimeout(StreamError):
    """A stream's socket was not upgraded in time: the server is too busy."""


@dataclass
class Counts:
    sent: int = 0
    #: Frames due while the socket was paused by flow control: never sent.
    held_back: int = 0
    received: int = 0
    #: Frames that reached the caller after the audio before them had played.
    late: int = 0
    lateness_ms: list[float] = field(default_factory=list)
    handling_ms: list[float] = field(default_factory=list)
    marks: int = 0
    clears: int = 0


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """One final client frame, masked with a fresh key as RFC 6455 asks of clients."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    key = os.urandom(4)
    return head + key + apply_mask(payload, key)


class StreamSide(asyncio.Protocol):
    """One media stream, as Twilio's side of it."""

    def __init__(self, host: str, path: str, call_sid: str, stream_sid: str) -> None:
        self.host, self.path = host, path
        self.call_sid, self.stream_sid = call_sid, stream_sid
        self.counts = Counts()
        self.counting = False
        self.problems: list[str] = []
        self.problem_count = 0
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.stopping = False
        self._transport: asyncio.Transport | None = None
        self._key = base64.b64encode(os.urandom(16))
        self._buffer = bytearray()
        self._paused = False
        self._sequence = 0
        #: When the audio received so far will have played (time.perf_counter()).
        self._playout_end = 0.0
        #: Whether frames came since the last mark: a gap now is one the caller hears.
        self._in_utterance = False

    # -- the stream's messages ---------------------------------------------------------

    def start(self, token: str) -> None:
        self.send_text({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        self.send_text(
            {
                "event": "start",
                "sequenceNumber": self._next_sequence(),
                "streamSid": self.stream_sid,
                "start": {
                    "streamSid": self.stream_sid,
                    "callSid": self.call_sid,
                    "tracks": ["inbound"],
                    "customParameters": {"token": token},
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                },
            }
        )

    def send_media(self, payload: str) -> None:
        """One 20 ms frame of the caller (``payload``: its base64), and a ping behind
        every fifth; held back while the server is not reading."""
        if self._transport is None or self.stopping:
            return
        if self._paused:
            self.counts.held_back += self.counting
            return
        number = self._next_sequence()
        chunk = int(number) - 1
        frame = masked_frame(
            _TEXT,
            (
                f'{{"event":"media","sequenceNumber":"{number}","streamSid":"{self.stream_sid}",'
                f'"media":{{"track":"inbound","chunk":"{chunk}","timestamp":"{chunk * 20}",'
                f'"payload":"{payload}"}}}}'
            ).encode("ascii"),
        )
        if self.counting:
            self.counts.sent += 1
            if self.counts.sent % PING_EVERY == 0:
                # In the same write: the ping goes right behind the frame.
                frame += masked_frame(_PING, struct.pack("!d", time.perf_counter()))
        self._transport.write(frame)

    def stop(self) -> None:
        """``stop``, then the closing handshake; ``closed`` is done once the socket is."""
        if self._transport is None or self.stopping:
            return
        self.send_text({"event": "stop", "streamSid": self.stream_sid, "stop": {"callSid": self.call_sid}})
        self.stopping = True
        self._transport.write(masked_frame(_CLOSE, struct.pack("!H", 1000)))

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def send_text(self, message: dict[str, Any]) -> None:
        if self._transport is not None and not self.stopping:
            self._transport.write(masked_frame(_TEXT, orjson.dumps(message)))

    def _next_sequence(self) -> str:
        self._sequence += 1
        return str(self._sequence)

    def _problem(self, what: str) -> None:
        self.problem_count += 1
        if len(self.problems) < KEPT_PROBLEMS:
            self.problems.append(f"stream {self.stream_sid}: {what}")

    # -- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport's subclasses, but have its methods.
        self._transport = transport = cast(asyncio.Transport, transport)
        transport.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {self._key.decode()}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode("ascii")
        )

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False

    def connection_lost(self, error: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(StreamError(f"the socket closed during the handshake: {error}"))
        elif not self.stopping:
            self._problem(f"the server closed the stream ({error or 'no error'})")
        if not self.closed.done():
            self.closed.set_result(None)
        self._transport = None

    def data_received(self, data: bytes) -> None:
        arrived = time.perf_counter()
        self._buffer += data
        if not self.opened.done() and not self._handshake():
            return
        buffer = self._buffer
        while len(buffer) >= 2:
            opcode, size = buffer[0] & 0x0F, buffer[1] & 0x7F
            start = 2
            if size == 126:
                if len(buffer) < 4:
                    return
                size, start = struct.unpack_from("!H", buffer, 2)[0], 4
            elif size == 127:
                if len(buffer) < 10:
                    return
                size, start = struct.unpack_from("!Q", buffer, 2)[0], 10
            if len(buffer) < start + size:
                return
            payload = bytes(buffer[start : start + size])
            del buffer[: start + size]
            self._frame(opcode, payload, arrived)

    def _handshake(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._buffer[:end]).decode("latin-1")
        del self._buffer[: end + 4]
        accept = base64.b64encode(hashlib.sha1(self._key + _GUID).digest()).decode()
        if not head.startswith("HTTP/1.1 101") or accept not in head:
            self.opened.set_exception(StreamError(f"the socket was not upgraded: {head[:200]!r}"))
            self.abort()
            return False
        self.opened.set_result(None)
        return True

    def _frame(self, opcode: int, payload: bytes, arrived: float) -> None:
        if opcode == _TEXT:
            self._message(payload, arrived)
        elif opcode == _PONG:
            if self.counting and len(payload) == 8:
                self.counts.handling_ms.append((arrived - struct.unpack("!d", payload)[0]) * 1000)
        elif opcode == _PING and self._transport is not None:
            self._transport.write(masked_frame(_PONG, payload))
        elif opcode == _CLOSE and self._transport is not None:
            if not self.stopping:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                self._problem(f"the server closed the stream (code {code})")
                self.stopping = True
            self._transport.close()

    def _message(self, payload: bytes, arrived: float) -> None:
        try:
            message = orjson.loads(payload)
            event = message["event"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            self._problem(f"a frame that is not a Twilio message: {payload[:80]!r}")
            return
        if event == "media":
            self._media(message, arrived)
        elif event == "mark":
            self.counts.marks += self.counting
            self._in_utterance = False
            # Twilio sends a mark back once the audio before it has played.
            echo = masked_frame(_TEXT, payload)
            delay = max(0.0, self._playout_end - time.perf_counter())
            asyncio.get_running_loop().call_later(delay, self._write_if_open, echo)
        elif event == "clear":
            self.counts.clears += self.counting
            self._playout_end = arrived

    def _media(self, message: dict[str, Any], arrived: float) -> None:
        try:
            audio = base64.b64decode(message["media"]["payload"], validate=True)
            sid = message["streamSid"]
        except (KeyError, TypeError, ValueError):
            self._problem("a media message without its base64 payload or streamSid")
            return
        if len(audio) != FRAME_BYTES or sid != self.stream_sid:
            self._problem(f"a media frame of {len(audio)} bytes for stream {sid!r}")
        plays_at = self._playout_end
        carried_on = self._in_utterance or arrived <= plays_at
        self._playout_end = max(plays_at, arrived) + FRAME_SECONDS
        self._in_utterance = True
        if not self.counting:
            return
        self.counts.received += 1
        if carried_on:
            lateness = arrived - plays_at
            self.counts.lateness_ms.append(lateness * 1000)
            self.counts.late += lateness > 0

    def _write_if_open(self, frame: bytes) -> None:
        if self._transport is not None and not self.stopping:
            self._transport.write(frame)
