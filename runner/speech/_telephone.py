"""Streamed 16-bit PCM at a synthesizer's rate, turned into 8 kHz mu-law as it arrives.

A synthesizer's audio comes in pieces of any size (a pipe's reads, an HTTP body's
chunks), and the first words should go out before the last are made. Resampling each
piece on its own would click at every seam, where the filter sees silence that is not
there; so each piece is resampled with some of its neighbours around it, and only the
middle, where the filter saw the real signal, is kept.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from runner.audio import SAMPLE_RATE, encode, resample

#: Samples of context kept either side of a piece: more than ``resample``'s filter reaches
#: (31 samples), so the kept middle is what resampling the whole would give.
_CONTEXT = 128

Pcm = npt.NDArray[np.int16]


class TelephoneEncoder:
    """Feed 16-bit little-endian mono PCM at ``rate`` in pieces of any size (an odd byte
    is kept for the next piece); get back 8 kHz mu-law, then the rest from ``flush``.

    Pieces are cut where input and output samples meet exactly (every ``rate / gcd``
    input samples), so the output is the same however the input was cut.
    """

    def __init__(self, rate: int) -> None:
        if rate <= 0:
            raise ValueError(f"a sample rate is positive, found {rate}")
        self._rate = rate
        divisor = math.gcd(rate, SAMPLE_RATE)
        #: Input and output samples of the smallest span that starts and ends on both grids.
        self._span_in, self._span_out = rate // divisor, SAMPLE_RATE // divisor
        self._context = self._span_in * math.ceil(_CONTEXT / self._span_in)
        self._odd_byte = b""
        #: Input held back, from input sample ``_held_start`` on.
        self._held: Pcm = np.zeros(0, dtype=np.int16)
        self._held_start = 0
        #: The first input sample whose output has not been given yet.
        self._given_to = 0

    def feed(self, data: bytes) -> bytes:
        """The mu-law of as much of the audio so far as can be given without its future."""
        pcm = self._samples(data)
        if self._rate == SAMPLE_RATE:
            return encode(pcm)
        self._held = np.concatenate((self._held, pcm))
        held_end = self._held_start + self._held.size
        ready_to = (held_end - self._context) // self._span_in * self._span_in
        if ready_to <= self._given_to:
            return b""
        return encode(self._give(ready_to, window_end=ready_to + self._context))

    def flush(self) -> bytes:
        """The mu-law of what is left: the audio has ended."""
        self._odd_byte = b""
        if self._rate == SAMPLE_RATE or self._held.size == 0:
            return b""
        held_end = self._held_start + self._held.size
        return encode(self._give(held_end, window_end=held_end))

    def _samples(self, data: bytes) -> Pcm:
        data = self._odd_byte + data
        whole = len(data) - len(data) % 2
        self._odd_byte = data[whole:]
        return np.frombuffer(data[:whole], dtype="<i2").astype(np.int16)

    def _give(self, given_to: int, *, window_end: int) -> Pcm:
        """Resample the held input up to ``window_end``; keep the output of the input from
        ``_given_to`` to ``given_to``, and drop what no later piece needs."""
        window = self._held[: window_end - self._held_start]
        resampled = resample(window, self._rate, SAMPLE_RATE)
        skip = (self._given_to - self._held_start) // self._span_in * self._span_out
        if given_to == window_end:
            kept = resampled[skip:]
        else:
            kept = resampled[skip : skip + (given_to - self._given_to) // self._span_in * self._span_out]
        self._given_to = given_to
        new_start = max(0, given_to - self._context)
        self._held = self._held[new_start - self._held_start :]
        self._held_start = new_start
        return kept
