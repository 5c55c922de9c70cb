from __future__ import annotations

import io
import subprocess
import wave

import numpy as np
import pytest

from runner.audio import WavError, read_wav


def wav_bytes(samples: bytes, *, width: int = 2, channels: int = 1, rate: int = 16_000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(samples)
    return buffer.getvalue()


def test_espeak_ngs_streamed_wav_with_sizes_it_could_not_know_is_read_to_the_end() -> None:
    data = subprocess.run(["espeak-ng", "--stdout", "Hello there."], capture_output=True, check=True).stdout
    # Written to a pipe, espeak-ng leaves the sizes it cannot go back to fill in.
    assert int.from_bytes(data[40:44], "little") != len(data) - 44
    samples, rate = read_wav(data)
    assert rate == 22_050
    assert samples.size == (len(data) - 44) // 2
    assert np.abs(samples.astype(np.int32)).max() > 1000


def test_a_stereo_wav_gives_its_first_channel() -> None:
    left_right = np.array([1, -1, 2, -2, 3, -3], dtype="<i2").tobytes()
    samples, rate = read_wav(wav_bytes(left_right, channels=2, rate=8000))
    assert (samples.tolist(), rate) == ([1, 2, 3], 8000)


def test_8_bit_samples_are_refused() -> None:
    with pytest.raises(WavError) as caught:
        read_wav(wav_bytes(bytes(10), width=1))
    assert str(caught.value) == "expected 16-bit samples, found 8-bit"


def test_bytes_that_are_not_a_wav_are_refused() -> None:
    with pytest.raises(WavError) as caught:
        read_wav(b"ID3 this is an mp3")
    assert str(caught.value) == "not a WAV file: file does not start with RIFF id"
