"""A real ``callflow serve`` that streams its inbound calls, for the media tests: the
flow a test gives answers the inbound call, Twilio's REST API is a stand-in on
127.0.0.1, and the test posts Twilio's webhooks and plays Twilio's side of the stream."""

from __future__ import annotations

from pathlib import Path

from tests.runner.cli.serve_process import TwilioServer, free_port, twilio_config
from tests.runner.media.twilio_side import stream_of
from tests.runner.providers.carrier_server import CarrierServer


def caller(call_sid: str = "CA-in-1") -> dict[str, str]:
    """The form of Twilio's answer webhook for an inbound call."""
    return {"CallSid": call_sid, "From": "+14155550111", "To": "+14155550199", "Direction": "inbound"}


def streaming_server(
    folder: Path, carrier: CarrierServer, flow: str, extra: str = "", *, start: bool = True
) -> TwilioServer:
    """A server answering inbound calls with ``flow`` (YAML text), its REST calls going to
    ``carrier``; ``extra`` is added to its config. Started unless ``start`` is false."""
    path = folder / "flow.yaml"
    path.write_text(flow, encoding="utf-8")
    port = free_port()
    config = twilio_config(folder, port, extra=extra)
    text = config.read_text(encoding="utf-8").replace("inbound: {policy: open, flow: ", "#")
    text += f"inbound: {{policy: open, flow: {path}}}\n"
    text = text.replace("  auth_token:", f"  api_base: {carrier.url}\n  auth_token:")
    config.write_text(text, encoding="utf-8")
    server = TwilioServer(config, port)
    return server.start() if start else server


def answer(server: TwilioServer, call_sid: str = "CA-in-1") -> tuple[str, str]:
    """Post Twilio's answer webhook for an inbound call; the stream URL and token."""
    document = server.carrier_post("/voice/webhook", {**caller(call_sid), "CallStatus": "ringing"}).text
    assert "<Connect>" in document, document
    assert document.rstrip().endswith("<Hangup/>\n</Response>"), document
    return stream_of(document)
