"""Moving PCM from one sample rate to another, for speech: a synthesizer's 22,050 or
24,000 Hz down to the telephone's 8,000, the telephone's up to a recognizer's 16,000.

A windowed-sinc low-pass filter below the lower rate's Nyquist frequency, then linear
interpolation: enough for speech on a phone line, and numpy only.
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt

#: Taps of the low-pass filter: odd, so it is centred; more taps, a sharper edge.
_TAPS = 63


@functools.lru_cache(maxsize=16)
def _low_pass(cutoff: float) -> npt.NDArray[np.float64]:
    """A low-pass FIR kernel, ``cutoff`` a fraction of the sample rate (below 0.5); made
    once per rate pair (a stream resamples piece after piece at the same rates)."""
    middle = (_TAPS - 1) / 2
    times = np.arange(_TAPS) - middle
    kernel = 2 * cutoff * np.sinc(2 * cutoff * times) * np.hamming(_TAPS)
    return np.asarray(kernel / kernel.sum(), dtype=np.float64)


def resample(pcm: npt.NDArray[np.int16], from_rate: int, to_rate: int) -> npt.NDArray[np.int16]:
    """``pcm`` at ``from_rate`` samples a second, as samples at ``to_rate``."""
    if from_rate == to_rate or pcm.size == 0:
        return pcm.astype(np.int16, copy=False)
    signal = pcm.astype(np.float64)
    if to_rate < from_rate:
        # Keep below the new Nyquist frequency, with a little room for the filter's slope.
        signal = np.convolve(signal, _low_pass(0.45 * to_rate / from_rate), mode="same")
    count = round(pcm.size * to_rate / from_rate)
    positions = np.arange(count) * (from_rate / to_rate)
    resampled = np.interp(positions, np.arange(pcm.size), signal)
    clipped: npt.NDArray[np.int16] = np.clip(np.round(resampled), -32768, 32767).astype(np.int16)
    return clipped
