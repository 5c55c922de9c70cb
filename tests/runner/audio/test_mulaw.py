from __future__ import annotations

import warnings
from types import ModuleType

import numpy as np
import pytest

from runner.audio import FRAME_BYTES, SILENCE_BYTE, decode, encode, frames


@pytest.fixture(scope="module")
def audioop() -> ModuleType:
    """The standard library's G.711 codec (gone in 3.13), as an oracle: it warns that it
    is deprecated, which here is known."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop as oracle
    return oracle


EVERY_SAMPLE = np.arange(-32768, 32768, dtype=np.int16)
EVERY_BYTE = bytes(range(256))


def test_every_sample_encodes_as_audioop_encodes_it(audioop: ModuleType) -> None:
    assert encode(EVERY_SAMPLE) == audioop.lin2ulaw(EVERY_SAMPLE.astype("<i2").tobytes(), 2)


def test_every_byte_decodes_as_audioop_decodes_it(audioop: ModuleType) -> None:
    assert decode(EVERY_BYTE).astype("<i2").tobytes() == audioop.ulaw2lin(EVERY_BYTE, 2)


def test_every_byte_survives_decoding_and_encoding_but_negative_zero() -> None:
    again = encode(decode(EVERY_BYTE))
    assert [(byte, back) for byte, back in zip(EVERY_BYTE, again, strict=True) if byte != back] == [
        (0x7F, 0xFF)
    ]


def test_decoded_samples_come_back_within_the_step_of_their_segment(audioop: ModuleType) -> None:
    back = decode(encode(EVERY_SAMPLE)).astype(np.int32)
    oracle = np.frombuffer(audioop.ulaw2lin(audioop.lin2ulaw(EVERY_SAMPLE.tobytes(), 2), 2), dtype="<i2")
    assert np.array_equal(back, oracle)
    assert np.abs(back - EVERY_SAMPLE).max() <= 1024


def test_silence_is_0xff() -> None:
    assert encode(np.zeros(4, dtype=np.int16)) == bytes([SILENCE_BYTE]) * 4
    assert decode(bytes([SILENCE_BYTE])).tolist() == [0]


def test_frames_are_160_bytes_the_last_padded_with_silence() -> None:
    cut = list(frames(bytes(range(200)) * 2))
    assert [len(frame) for frame in cut] == [FRAME_BYTES] * 3
    assert b"".join(cut) == bytes(range(200)) * 2 + bytes([SILENCE_BYTE]) * 80
    assert list(frames(b"")) == []
