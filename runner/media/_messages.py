"""Twilio's Media Streams messages (../shared/providers.md): JSON text frames, read as
they come in and written as they go out.

In: ``connected``, ``start``, ``media`` (base64 mu-law), ``dtmf``, ``mark``, ``stop``.
Out, on a bidirectional stream: ``media``, ``mark`` (echoed back once played) and
``clear`` (drop what is buffered: the caller barged in).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, TypeAlias

import orjson


@dataclass(frozen=True, slots=True)
class Media:
    """Caller audio: 8 kHz mu-law."""

    audio: bytes


@dataclass(frozen=True, slots=True)
class Dtmf:
    digit: str


@dataclass(frozen=True, slots=True)
class MarkPlayed:
    """Playback reached a mark the server sent."""

    name: str


@dataclass(frozen=True, slots=True)
class Stopped:
    """The carrier ended the stream (the call hung up, or moved on)."""


Incoming: TypeAlias = Media | Dtmf | MarkPlayed | Stopped


class StreamMessageError(ValueError):
    """A frame that is not one of the protocol's messages as it should be."""


def read(frame: str | bytes) -> Incoming | None:
    """One incoming frame; None for what the server has no use for (``connected``, a
    second ``start``, an event it does not know). Raises StreamMessageError."""
    message = decode(frame)
    event = message.get("event")
    if event == "media":
        return Media(payload_of(message.get("media")))
    if event == "dtmf":
        return Dtmf(digit_of(message.get("dtmf")))
    if event == "mark":
        return MarkPlayed(field_of(message.get("mark"), "name"))
    if event == "stop":
        return Stopped()
    return None


def decode(frame: str | bytes) -> dict[str, Any]:
    """A frame's JSON object. Raises StreamMessageError."""
    try:
        message: Any = orjson.loads(frame)
    except orjson.JSONDecodeError:
        raise StreamMessageError("a media stream frame that is not JSON") from None
    if not isinstance(message, dict):
        raise StreamMessageError("a media stream frame that is not a JSON object")
    return message


def field_of(part: Any, name: str) -> str:
    """The text field ``name`` of a message's object ``part``. Raises StreamMessageError."""
    value = part.get(name) if isinstance(part, dict) else None
    if not isinstance(value, str):
        raise StreamMessageError(f"a message without its {name}")
    return value


def payload_of(media: Any) -> bytes:
    """The audio of a media object's base64 ``payload``. Raises StreamMessageError."""
    try:
        return binascii.a2b_base64(field_of(media, "payload"), strict_mode=True)
    except binascii.Error:
        raise StreamMessageError("a media message whose payload is not base64") from None


def digit_of(dtmf: Any) -> str:
    """The key of a dtmf object's ``digit``. Raises StreamMessageError."""
    digit = field_of(dtmf, "digit")
    if len(digit) != 1 or digit not in "0123456789*#ABCD":
        raise StreamMessageError(f"a dtmf message whose digit is {digit!r}")
    return digit


def media(stream_sid: str, audio: bytes) -> str:
    payload = base64.b64encode(audio).decode("ascii")
    return orjson.dumps({"event": "media", "streamSid": stream_sid, "media": {"payload": payload}}).decode()


def mark(stream_sid: str, name: str) -> str:
    return orjson.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}).decode()


def clear(stream_sid: str) -> str:
    return orjson.dumps({"event": "clear", "streamSid": stream_sid}).decode()
