from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from runner.audio import resample


def tone(frequency: float, rate: int, seconds: float = 1.0) -> npt.NDArray[np.int16]:
    times = np.arange(int(rate * seconds)) / rate
    return (10_000 * np.sin(2 * np.pi * frequency * times)).astype(np.int16)


def loudest_frequency(pcm: npt.NDArray[np.int16], rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(pcm.size)))
    return float(np.fft.rfftfreq(pcm.size, 1 / rate)[np.argmax(spectrum)])


def rms(pcm: npt.NDArray[np.int16]) -> float:
    # The filter's first and last taps see the silence outside the signal: leave them out.
    middle = pcm[100:-100].astype(np.float64)
    return float(np.sqrt((middle**2).mean()))


@pytest.mark.parametrize(
    ("from_rate", "to_rate"), [(22_050, 8000), (24_000, 8000), (8000, 16_000), (44_100, 8000)]
)
def test_a_440_hz_tone_stays_at_440_hz_and_as_loud(from_rate: int, to_rate: int) -> None:
    moved = resample(tone(440, from_rate), from_rate, to_rate)
    assert moved.size == to_rate
    assert loudest_frequency(moved, to_rate) == pytest.approx(440, abs=2)
    assert rms(moved) == pytest.approx(rms(tone(440, from_rate)), rel=0.02)


@pytest.mark.parametrize("from_rate", [22_050, 24_000])
def test_a_6_khz_tone_is_removed_going_to_8_khz_not_folded_back_to_2_khz(from_rate: int) -> None:
    moved = resample(tone(6000, from_rate), from_rate, 8000)
    # At least 30 dB down: what is left would be heard as 2 kHz, so little must be left.
    assert rms(moved) < rms(tone(6000, from_rate)) / 30


def test_the_same_rate_and_no_samples_are_left_as_they_are() -> None:
    pcm = tone(440, 8000, 0.1)
    assert np.array_equal(resample(pcm, 8000, 8000), pcm)
    assert resample(np.zeros(0, dtype=np.int16), 22_050, 8000).size == 0


def test_loud_samples_are_clipped_not_wrapped() -> None:
    square = np.tile(np.array([32767] * 50 + [-32768] * 50, dtype=np.int16), 100)
    moved = resample(square, 22_050, 8000)
    assert moved.dtype == np.int16
    assert moved.max() == 32767
    assert moved.min() == -32768
