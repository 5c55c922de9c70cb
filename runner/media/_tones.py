"""DTMF as sound: digits sent into a streamed call are played as their two tones, in
band, since the stream has no other way to send them. ``w`` waits half a second."""

from __future__ import annotations

import numpy as np

from runner.audio import SAMPLE_RATE, encode

#: The low and high frequencies (Hz) of each key (ITU-T Q.23).
_KEYS = {
    "1": (697, 1209), "2": (697, 1336), "3": (697, 1477), "A": (697, 1633),
    "4": (770, 1209), "5": (770, 1336), "6": (770, 1477), "B": (770, 1633),
    "7": (852, 1209), "8": (852, 1336), "9": (852, 1477), "C": (852, 1633),
    "*": (941, 1209), "0": (941, 1336), "#": (941, 1477), "D": (941, 1633),
}  # fmt: skip
TONE_SECONDS = 0.1
GAP_SECONDS = 0.06
WAIT_SECONDS = {"w": 0.5, "W": 1.0, "p": 1.0, "P": 1.0, ",": 1.0}


def dtmf_audio(digits: str) -> bytes:
    """``digits`` as 8 kHz mu-law: each key's tone then a short gap; waits as silence."""
    parts: list[np.ndarray] = []
    times = np.arange(int(TONE_SECONDS * SAMPLE_RATE)) / SAMPLE_RATE
    gap = np.zeros(int(GAP_SECONDS * SAMPLE_RATE))
    for digit in digits:
        if digit in WAIT_SECONDS:
            parts.append(np.zeros(int(WAIT_SECONDS[digit] * SAMPLE_RATE)))
            continue
        low, high = _KEYS[digit.upper()]
        tone = 0.35 * (np.sin(2 * np.pi * low * times) + np.sin(2 * np.pi * high * times))
        parts.extend([tone, gap])
    if not parts:
        return b""
    samples = np.concatenate(parts) * 32767
    return encode(np.clip(samples, -32768, 32767).astype(np.int16))
