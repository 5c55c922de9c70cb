"""Telnyx's side of a bidirectional media stream (TeXML ``<Connect><Stream
bidirectionalMode="rtp">``), as Telnyx's media streaming pages have it: ``connected``,
``start`` (the ``<Parameter>``s in ``custom_parameters``), ``media``, ``dtmf``, ``stop``
in; ``media``, ``mark`` (echoed once played) and ``clear`` out."""

from __future__ import annotations

import base64
import re
from typing import Any

from tests.runner.media.carrier_side import CarrierMediaSide, Taken, payload

CALL_CONTROL_ID = "v3:inbound-4RHRksMTg7ldN"
STREAM_ID = "32de0dea-53cb-4b21-89a4-9e1819c043bc"


def telnyx_stream_of(document: str) -> tuple[str, str]:
    """The socket URL and token of a TeXML ``<Connect><Stream>`` document."""
    url = re.search(r'<Stream url="([^"]+)" codec="PCMU" bidirectionalMode="rtp">', document)
    token = re.search(r'<Parameter name="token" value="([^"]+)"/>', document)
    assert url is not None, document
    assert token is not None, document
    return url.group(1), token.group(1)


class TelnyxMediaSide(CarrierMediaSide):
    def opening(self) -> list[dict[str, Any]]:
        start = {
            "user_id": "3e6f995f-85f7-4705-9741-53b116d28237",
            "call_control_id": CALL_CONTROL_ID,
            "client_state": None,
            "from": "+14155550111",
            "to": "+14155550199",
            "media_format": {"encoding": "PCMU", "sample_rate": 8000, "channels": 1},
            "custom_parameters": {"token": self.token},
        }
        return [
            {"event": "connected", "version": "1.0.0"},
            {"event": "start", "sequence_number": "1", "start": start, "stream_id": STREAM_ID},
        ]

    def media(self, frame: bytes) -> dict[str, Any]:
        media = {
            "track": "inbound",
            "chunk": "2",
            "timestamp": "5",
            "payload": base64.b64encode(frame).decode(),
        }
        return {"event": "media", "sequence_number": "2", "media": media, "stream_id": STREAM_ID}

    def dtmf(self, digit: str) -> dict[str, Any]:
        return {"event": "dtmf", "stream_id": STREAM_ID, "occurred_at": "now", "dtmf": {"digit": digit}}

    def stop_message(self) -> dict[str, Any]:
        return {
            "event": "stop",
            "sequence_number": "9",
            "stop": {"call_control_id": CALL_CONTROL_ID},
            "stream_id": STREAM_ID,
        }

    async def stop(self) -> None:
        await self._send(self.stop_message())

    def take(self, message: dict[str, Any]) -> Taken:
        event = message.get("event")
        if event == "media":
            return Taken("media", audio=payload(message.get("media", {}).get("payload")))
        if event == "mark":
            name = str(message.get("mark", {}).get("name"))
            # Playback reached the mark: Telnyx sends it back.
            return Taken(
                "mark", mark=name, answer={"event": "mark", "stream_id": STREAM_ID, "mark": {"name": name}}
            )
        if event == "clear":
            return Taken("clear")
        self.problems.append(f"not a message Telnyx takes: {message}")
        return Taken(str(event))
