"""Reading a WAV file's 16-bit PCM, as espeak-ng and hosted speech APIs write it."""

from __future__ import annotations

import io
import wave

import numpy as np
import numpy.typing as npt


class WavError(ValueError):
    """Bytes that are not a 16-bit PCM WAV file."""


def read_wav(data: bytes) -> tuple[npt.NDArray[np.int16], int]:
    """The samples of a 16-bit PCM WAV (the first channel) and its sample rate.

    espeak-ng writing to a pipe cannot go back to fill in the header's sizes, so a size
    of 0 or 0xFFFFFFFF is read as "to the end of the data".
    """
    try:
        with wave.open(io.BytesIO(_with_sizes(data)), "rb") as reader:
            if reader.getsampwidth() != 2:
                raise WavError(f"expected 16-bit samples, found {8 * reader.getsampwidth()}-bit")
            channels, rate = reader.getnchannels(), reader.getframerate()
            samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    except (wave.Error, EOFError) as error:
        raise WavError(f"not a WAV file: {error}") from None
    return samples[::channels].astype(np.int16), rate


def _with_sizes(data: bytes) -> bytes:
    """``data`` with the RIFF and data chunk sizes set from its length when left unknown."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return data
    fixed = bytearray(data)
    fixed[4:8] = (len(data) - 8).to_bytes(4, "little")
    position = 12
    while position + 8 <= len(fixed):
        chunk, size = (
            bytes(fixed[position : position + 4]),
            int.from_bytes(fixed[position + 4 : position + 8], "little"),
        )
        if chunk == b"data":
            fixed[position + 4 : position + 8] = (len(fixed) - position - 8).to_bytes(4, "little")
            break
        position += 8 + size + (size & 1)
    return bytes(fixed)
