"""Telephone audio: 8 kHz mu-law in 20 ms frames, as carriers' media streams carry it.

``encode``/``decode`` turn 16-bit PCM into G.711 mu-law and back, ``resample`` moves PCM
to another rate, ``frames`` cuts mu-law into the 160-byte frames a stream sends.
"""

from __future__ import annotations

from runner.audio._mulaw import (
    FRAME_BYTES,
    FRAME_SECONDS,
    SAMPLE_RATE,
    SILENCE_BYTE,
    decode,
    encode,
    frames,
)
from runner.audio._resample import resample
from runner.audio._wav import WavError, read_wav

__all__ = [
    "FRAME_BYTES",
    "FRAME_SECONDS",
    "SAMPLE_RATE",
    "SILENCE_BYTE",
    "WavError",
    "decode",
    "encode",
    "frames",
    "read_wav",
    "resample",
]
