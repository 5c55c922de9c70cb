"""What the speech tests ask of telephone audio, and espeak-ng run directly as an oracle."""

from __future__ import annotations

import asyncio
import subprocess

import numpy as np

from runner.audio import decode, encode, read_wav, resample
from runner.speech import Synthesizer


def spoken(
    synthesizer: Synthesizer, text: str, *, received: list[bytes] | None = None, **options: str
) -> list[bytes]:
    """The pieces ``synthesizer`` gives for ``text`` (also put in ``received`` as they
    come, for a test of what arrived before an error); closed afterwards."""
    pieces = [] if received is None else received

    async def scenario() -> list[bytes]:
        try:
            async for piece in synthesizer.synthesize(text, **options):
                pieces.append(piece)
            return pieces
        finally:
            await synthesizer.aclose()

    return asyncio.run(scenario())


def voiced_share(mulaw: bytes) -> float:
    """The share of 20 ms frames loud enough to be speech (silence decodes to about 0)."""
    samples = decode(mulaw).astype(np.float64)
    usable = samples.size // 160 * 160
    loudness = np.sqrt((samples[:usable].reshape(-1, 160) ** 2).mean(axis=1))
    return float((loudness > 300).mean())


def espeak_oracle(text: str, voice: str = "en-us", words_per_minute: int = 175) -> bytes:
    """``text`` as espeak-ng's own WAV, resampled whole and encoded: what streaming it
    piece by piece must give."""
    wav = subprocess.run(
        ["espeak-ng", "--stdout", "-v", voice, "-s", str(words_per_minute), "--", text],
        capture_output=True,
        check=True,
    ).stdout
    pcm, rate = read_wav(wav)
    assert rate == 22_050
    return encode(resample(pcm, rate, 8000))
