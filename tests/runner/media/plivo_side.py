"""Plivo's side of a bidirectional Audio Stream, as Plivo's "Stream Event Protocol" page
has it: ``start`` (the ``extraHeaders`` of the document come back as ``extra_headers``),
``media`` and ``dtmf`` in; ``playAudio``, ``checkpoint`` (answered by ``playedStream``
once played) and ``clearAudio`` (answered by ``clearedAudio``) out. Plivo says no
``stop``: the stream ends with its socket."""

from __future__ import annotations

import base64
import re
from typing import Any

from tests.runner.media.carrier_side import CarrierMediaSide, Taken, payload

CALL_ID = "a1b2c3d4-54a4-11ee-8c99-0242ac120002"
STREAM_ID = "20170ada-f610-433b-8758-c02a2aab3662"


def plivo_stream_of(document: str) -> tuple[str, str]:
    """The socket URL and token of a Plivo ``<Stream>`` document."""
    found = re.search(r'<Stream [^>]*extraHeaders="token=([A-Za-z0-9]+)"[^>]*>([^<]+)</Stream>', document)
    assert found is not None, document
    return found.group(2), found.group(1)


class PlivoMediaSide(CarrierMediaSide):
    def opening(self) -> list[dict[str, Any]]:
        start = {
            "callId": CALL_ID,
            "streamId": STREAM_ID,
            "accountId": "MAZDQ1ZJIYMDZKMMZKYM",
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000},
        }
        return [
            {"event": "start", "sequenceNumber": 1, "start": start, "extra_headers": f"token={self.token}"}
        ]

    def media(self, frame: bytes) -> dict[str, Any]:
        media = {"track": "inbound", "timestamp": "1705312200000", "chunk": 1}
        media["payload"] = base64.b64encode(frame).decode()
        return {"event": "media", "sequenceNumber": 2, "streamId": STREAM_ID, "media": media}

    def dtmf(self, digit: str) -> dict[str, Any]:
        return {"event": "dtmf", "streamId": STREAM_ID, "dtmf": {"track": "inbound", "digit": digit}}

    def take(self, message: dict[str, Any]) -> Taken:
        event = message.get("event")
        if event == "playAudio":
            media = message.get("media", {})
            if (media.get("contentType"), media.get("sampleRate")) != ("audio/x-mulaw", 8000):
                self.problems.append(f"playAudio not as 8 kHz mu-law: {message}")
            return Taken("media", audio=payload(media.get("payload")))
        if message.get("streamId") != STREAM_ID:
            self.problems.append(f"{event} without the stream's streamId: {message}")
        if event == "checkpoint":
            name = str(message.get("name"))
            return Taken(
                "mark", mark=name, answer={"event": "playedStream", "streamId": STREAM_ID, "name": name}
            )
        if event == "clearAudio":
            return Taken(
                "clear", answer={"sequenceNumber": 0, "event": "clearedAudio", "streamId": STREAM_ID}
            )
        self.problems.append(f"not a message Plivo takes: {message}")
        return Taken(str(event))
