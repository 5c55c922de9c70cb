from __future__ import annotations

import numpy as np
import pytest

from runner.audio import encode, resample
from runner.speech._telephone import TelephoneEncoder


def noise(rate: int, seconds: float) -> np.ndarray:
    generator = np.random.default_rng(rate)
    return np.clip(generator.normal(0, 6000, int(rate * seconds)), -32768, 32767).astype(np.int16)


@pytest.mark.parametrize("rate", [8000, 16_000, 22_050, 24_000, 44_100])
@pytest.mark.parametrize("piece_bytes", [1, 999, 4096, 100_000])
def test_audio_fed_in_pieces_is_what_the_whole_resampled_at_once_gives(rate: int, piece_bytes: int) -> None:
    pcm = noise(rate, 0.3)
    data = pcm.tobytes()
    encoder = TelephoneEncoder(rate)
    out = b"".join(
        encoder.feed(data[start : start + piece_bytes]) for start in range(0, len(data), piece_bytes)
    )
    assert out + encoder.flush() == encode(resample(pcm, rate, 8000))


def test_output_comes_before_the_input_ends() -> None:
    encoder = TelephoneEncoder(24_000)
    assert len(encoder.feed(noise(24_000, 0.5).tobytes())) > 3000


def test_a_rate_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="a sample rate is positive, found 0"):
        TelephoneEncoder(0)
