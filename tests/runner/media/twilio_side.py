"""Twilio's side of a media stream, for the tests: it opens the socket with the token a
document minted, sends ``connected`` and ``start``, streams the caller's audio as 20 ms
mu-law frames at the pace of real time, presses keys, and records what the server sends
back, echoing each mark as Twilio does once playback reaches it."""

from __future__ import annotations

import asyncio
import base64
import re
from typing import Any

from runner.audio import FRAME_BYTES
from runner.speech import EspeakSynthesizer
from tests.runner.media.carrier_side import PATIENCE_SECONDS, CarrierMediaSide, Received, Taken

__all__ = ["PATIENCE_SECONDS", "Received", "TwilioMediaSide", "frames_after", "spoken_frames", "stream_of"]


def stream_of(document: str) -> tuple[str, str]:
    """The stream URL and token of a ``<Connect><Stream>`` document."""
    url = re.search(r'<Stream url="([^"]+)"', document)
    token = re.search(r'<Parameter name="token" value="([^"]+)"', document)
    assert url is not None, document
    assert token is not None, document
    return url.group(1), token.group(1)


class TwilioMediaSide(CarrierMediaSide):
    def __init__(self, url: str, token: str, *, call_sid: str = "CA-in-1", stream_sid: str = "MZ-1") -> None:
        super().__init__(url, token)
        self.call_sid, self.stream_sid = call_sid, stream_sid

    def opening(self) -> list[dict[str, Any]]:
        start = {
            "streamSid": self.stream_sid,
            "callSid": self.call_sid,
            "tracks": ["inbound"],
            "customParameters": {"token": self.token},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        }
        return [
            {"event": "connected", "protocol": "Call", "version": "1.0.0"},
            {"event": "start", "sequenceNumber": "1", "streamSid": self.stream_sid, "start": start},
        ]

    def media(self, frame: bytes) -> dict[str, Any]:
        payload = base64.b64encode(frame).decode()
        return {"event": "media", "streamSid": self.stream_sid, "media": {"payload": payload}}

    def dtmf(self, digit: str) -> dict[str, Any]:
        return {"event": "dtmf", "streamSid": self.stream_sid, "dtmf": {"digit": digit}}

    def take(self, message: dict[str, Any]) -> Taken:
        event = str(message.get("event"))
        if event == "media":
            return Taken("media", audio=base64.b64decode(message["media"]["payload"]))
        if event == "mark":
            # Playback reached the mark: Twilio sends it back.
            return Taken("mark", mark=message["mark"]["name"], answer=message)
        return Taken(event)

    async def stop(self) -> None:
        await self._send({"event": "stop", "streamSid": self.stream_sid, "stop": {"callSid": self.call_sid}})


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
