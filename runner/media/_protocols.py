"""Each carrier's media stream protocol behind one interface: how its ``start`` names the
stream and carries the one-time token, how its frames read, and how the bot's audio,
marks and clears are written to it. The server picks one by its provider (the mock
carrier speaks Twilio's).

- Twilio (../shared/providers.md): the token is a ``<Parameter>``, in
  ``start.customParameters``; out: ``media``, ``mark`` (echoed once played), ``clear``.
- Plivo (Audio Stream, bidirectional): the token is in ``extraHeaders`` (``token=...``,
  letters and digits only), which comes back as the start's ``extra_headers`` string;
  in: ``start``, ``media``, ``dtmf``, ``playedStream`` (a checkpoint was played),
  ``clearedAudio``; out: ``playAudio``, ``checkpoint``, ``clearAudio``. Plivo has no
  ``stop``: its socket closes, which the media path takes as a drop (see
  runner/media/_streams.py).
- Telnyx (TeXML ``<Connect><Stream bidirectionalMode="rtp">``): the token is a
  ``<Parameter>``, in ``start.custom_parameters``; in: ``connected``, ``start``,
  ``media``, ``dtmf``, ``mark``, ``error``, ``stop``; out: ``media``, ``mark``, ``clear``.

All three carry 8 kHz mu-law both ways, as the stream documents ask
(runner/dialects/_documents.py), so the audio is the same bytes on every carrier.
"""

from __future__ import annotations

import base64
import logging
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson

from runner.audio import SAMPLE_RATE
from runner.media import _messages as messages
from runner.media._messages import Dtmf, Incoming, MarkPlayed, Media, Stopped, StreamMessageError

logger = logging.getLogger("callflow.media")

_HEADER_SEPARATORS = re.compile(r"[,;]")


@dataclass(frozen=True, slots=True)
class StreamStart:
    """What a carrier's ``start`` message says: the one-time token the stream document
    passed (None without one) and the carrier's id of the stream."""

    token: str | None
    stream_id: str


class StreamProtocol(ABC):
    """One carrier's media stream messages, read and written."""

    #: The providers (config names) that speak this protocol.
    providers: ClassVar[tuple[str, ...]]

    def start(self, frame: str | bytes) -> StreamStart | None:
        """The stream's start when ``frame`` is its ``start`` message; None for any other
        (``connected`` comes first). Raises StreamMessageError."""
        message = messages.decode(frame)
        if message.get("event") != "start":
            return None
        return self._start(message)

    @abstractmethod
    def _start(self, message: dict[str, Any]) -> StreamStart: ...

    @abstractmethod
    def read(self, frame: str | bytes) -> Incoming | None:
        """One incoming frame; None for what the media path has no use for. Raises
        StreamMessageError."""

    @abstractmethod
    def media(self, stream_id: str, audio: bytes) -> str:
        """The frame that plays ``audio`` (8 kHz mu-law) to the caller."""

    @abstractmethod
    def mark(self, stream_id: str, name: str) -> str:
        """The frame the carrier answers, naming ``name``, once what was sent before it played."""

    @abstractmethod
    def clear(self, stream_id: str) -> str:
        """The frame that drops the audio the carrier has buffered but not played."""


class TwilioStreams(StreamProtocol):
    providers = ("twilio", "mock")

    def _start(self, message: dict[str, Any]) -> StreamStart:
        start = _object(message.get("start"), "start")
        parameters = start.get("customParameters")
        token = parameters.get("token") if isinstance(parameters, dict) else None
        stream_id = start.get("streamSid", message.get("streamSid", ""))
        return StreamStart(token if isinstance(token, str) else None, str(stream_id))

    def read(self, frame: str | bytes) -> Incoming | None:
        return messages.read(frame)

    def media(self, stream_id: str, audio: bytes) -> str:
        return messages.media(stream_id, audio)

    def mark(self, stream_id: str, name: str) -> str:
        return messages.mark(stream_id, name)

    def clear(self, stream_id: str) -> str:
        return messages.clear(stream_id)


class PlivoStreams(StreamProtocol):
    providers = ("plivo",)

    def _start(self, message: dict[str, Any]) -> StreamStart:
        start = _object(message.get("start"), "start")
        # Plivo's reference puts extra_headers beside start; accept it inside too.
        headers = message.get("extra_headers", start.get("extra_headers"))
        _check_mulaw("plivo", _encoding(start.get("mediaFormat")), "audio/x-mulaw")
        token = plivo_headers(headers).get("token") if isinstance(headers, str) else None
        return StreamStart(token, str(start.get("streamId", message.get("streamId", ""))))

    def read(self, frame: str | bytes) -> Incoming | None:
        message = messages.decode(frame)
        event = message.get("event")
        if event == "media":
            return Media(messages.payload_of(message.get("media")))
        if event == "dtmf":
            return Dtmf(messages.digit_of(message.get("dtmf")))
        if event == "playedStream":
            return MarkPlayed(messages.field_of(message, "name"))
        if event == "stop":
            return Stopped()  # not in Plivo's reference; harmless should it come
        return None

    def media(self, stream_id: str, audio: bytes) -> str:
        payload = base64.b64encode(audio).decode("ascii")
        media = {"contentType": "audio/x-mulaw", "sampleRate": SAMPLE_RATE, "payload": payload}
        return orjson.dumps({"event": "playAudio", "media": media}).decode()

    def mark(self, stream_id: str, name: str) -> str:
        return orjson.dumps({"event": "checkpoint", "streamId": stream_id, "name": name}).decode()

    def clear(self, stream_id: str) -> str:
        return orjson.dumps({"event": "clearAudio", "streamId": stream_id}).decode()


class TelnyxStreams(StreamProtocol):
    providers = ("telnyx",)

    def _start(self, message: dict[str, Any]) -> StreamStart:
        start = _object(message.get("start"), "start")
        token = _telnyx_parameters(start.get("custom_parameters")).get("token")
        _check_mulaw("telnyx", _encoding(start.get("media_format")), "PCMU")
        return StreamStart(token, str(message.get("stream_id", start.get("stream_id", ""))))

    def read(self, frame: str | bytes) -> Incoming | None:
        message = messages.decode(frame)
        event = message.get("event")
        if event == "media":
            media = message.get("media")
            track = media.get("track") if isinstance(media, dict) else None
            # Only the caller's side: a stream of both tracks also carries the bot's own audio.
            return Media(messages.payload_of(media)) if track in (None, "inbound") else None
        if event == "dtmf":
            return Dtmf(messages.digit_of(message.get("dtmf")))
        if event == "mark":
            return MarkPlayed(messages.field_of(message.get("mark"), "name"))
        if event == "stop":
            return Stopped()
        if event == "error":
            logger.warning("telnyx reported a media stream error: %s", message.get("payload"))
        return None

    def media(self, stream_id: str, audio: bytes) -> str:
        payload = base64.b64encode(audio).decode("ascii")
        return orjson.dumps({"event": "media", "media": {"payload": payload}}).decode()

    def mark(self, stream_id: str, name: str) -> str:
        return orjson.dumps({"event": "mark", "mark": {"name": name}}).decode()

    def clear(self, stream_id: str) -> str:
        return orjson.dumps({"event": "clear"}).decode()


TWILIO_STREAMS = TwilioStreams()
_PROTOCOLS: dict[str, StreamProtocol] = {
    provider: protocol
    for protocol in (TWILIO_STREAMS, PlivoStreams(), TelnyxStreams())
    for provider in protocol.providers
}


def stream_protocol(provider: str) -> StreamProtocol:
    """The media stream protocol of ``provider`` (a config name: twilio, plivo, telnyx, mock)."""
    protocol = _PROTOCOLS.get(provider)
    if protocol is None:
        raise ValueError(f"no media stream protocol is known for provider {provider!r}")
    return protocol


def plivo_headers(text: str) -> dict[str, str]:
    """Plivo's ``extra_headers``: ``name=value`` pairs, split by commas (as the document
    writes them) or semicolons (as Plivo's reference shows them coming back)."""
    pairs = (part.split("=", 1) for part in _HEADER_SEPARATORS.split(text) if "=" in part)
    return {name.strip(): value.strip() for name, value in pairs}


def _telnyx_parameters(parameters: Any) -> dict[str, str]:
    """A start's custom parameters: an object of names and values, or a list of
    ``{name, value}`` objects (as Telnyx's Call Control API takes them)."""
    if isinstance(parameters, dict):
        return {str(name): value for name, value in parameters.items() if isinstance(value, str)}
    if isinstance(parameters, list):
        return {
            str(item.get("name")): item["value"]
            for item in parameters
            if isinstance(item, dict) and isinstance(item.get("value"), str)
        }
    return {}


def _encoding(media_format: Any) -> Any:
    return media_format.get("encoding") if isinstance(media_format, dict) else None


def _check_mulaw(carrier: str, encoding: Any, mulaw: str) -> None:
    """Say so when a carrier streams the caller in another codec than the document asked
    for (Telnyx transcodes only between PCMU and PCMA): the recognizer takes mu-law only."""
    if encoding is not None and encoding != mulaw:
        logger.warning(
            "%s streams the caller's audio as %s, not %s: it will not be understood", carrier, encoding, mulaw
        )


def _object(part: Any, name: str) -> dict[str, Any]:
    if not isinstance(part, dict):
        raise StreamMessageError(f"a {name} message without its {name} object")
    return part
