"""The streaming path: a call's audio through the server, over the carrier's media stream.

``MediaStreams`` is what the media socket runs for each stream: a ``MediaSession`` per
call hears the caller (a recognizer), speaks for the bot (a synthesizer, paced playback
with marks), lets the caller barge in, and carries a dropped stream over a reconnect.
``stream_protocol`` names the carrier's messages (Twilio's, Plivo's, Telnyx's) behind
one ``StreamProtocol``.
"""

from __future__ import annotations

from runner.media._messages import Stopped
from runner.media._playback import Playback
from runner.media._protocols import TWILIO_STREAMS, StreamProtocol, StreamStart, stream_protocol
from runner.media._session import MediaSession
from runner.media._streams import RECONNECT_SECONDS, MediaStreams
from runner.media._tones import dtmf_audio

__all__ = [
    "RECONNECT_SECONDS",
    "TWILIO_STREAMS",
    "MediaSession",
    "MediaStreams",
    "Playback",
    "Stopped",
    "StreamProtocol",
    "StreamStart",
    "dtmf_audio",
    "stream_protocol",
]
