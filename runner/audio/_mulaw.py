"""G.711 mu-law, the audio of carriers' media streams: 8,000 samples a second, one byte
each, sent 20 ms (160 bytes) at a time.

The tables are built once: encoding looks up each sample's top 14 bits, decoding each
byte, so a frame costs two numpy indexing operations however it is done.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 8000
FRAME_SECONDS = 0.02
#: One 20 ms frame of 8 kHz mu-law.
FRAME_BYTES = 160
#: Mu-law for zero: what a frame is padded with.
SILENCE_BYTE = 0xFF

_BIAS = 0x84
_CLIP = 32635

Pcm = npt.NDArray[np.int16]


def _encode_one(sample: int) -> int:
    """The ITU-T G.711 mu-law byte of one 16-bit sample (the reference algorithm)."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sample < 0 else sample, _CLIP) + _BIAS
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not magnitude & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _decode_one(byte: int) -> int:
    byte = ~byte & 0xFF
    sign, exponent, mantissa = byte & 0x80, (byte >> 4) & 0x07, byte & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return -magnitude if sign else magnitude


# Every sample whose low two bits differ encodes the same: a table of 2**14 entries
# covers all 2**16 samples.
_ENCODE = np.array([_encode_one((index << 2) - 32768) for index in range(1 << 14)], dtype=np.uint8)
_DECODE = np.array([_decode_one(byte) for byte in range(256)], dtype=np.int16)


def encode(pcm: Pcm) -> bytes:
    """16-bit PCM samples as mu-law bytes, one a sample."""
    index = (pcm.astype(np.int32) + 32768) >> 2
    return bytes(_ENCODE[index].tobytes())


def decode(data: bytes) -> Pcm:
    """Mu-law bytes as 16-bit PCM samples."""
    return _DECODE[np.frombuffer(data, dtype=np.uint8)]


def frames(data: bytes) -> Iterator[bytes]:
    """``data`` in 160-byte frames; the last one padded with silence."""
    for start in range(0, len(data), FRAME_BYTES):
        frame = data[start : start + FRAME_BYTES]
        yield frame if len(frame) == FRAME_BYTES else frame.ljust(FRAME_BYTES, bytes([SILENCE_BYTE]))
