"""A caller's speech for the recognizer tests: espeak-ng's voice sent through the 8 kHz
mu-law channel, fed in 20 ms frames, and the events a session gives back."""

from __future__ import annotations

import asyncio
import re
import subprocess

from runner.audio import SAMPLE_RATE, SILENCE_BYTE, encode, frames, read_wav, resample
from runner.speech import Heard, RecognizerEvent, RecognizerSession

#: Long enough for any session here to answer; only a broken one waits this long.
_PATIENCE_SECONDS = 120.0


def said(text: str) -> bytes:
    """``text`` spoken by espeak-ng, as the carrier's 8 kHz mu-law in whole 20 ms frames."""
    wav = subprocess.run(["espeak-ng", "--stdout", "--", text], capture_output=True, check=True).stdout
    pcm, rate = read_wav(wav)
    return b"".join(frames(encode(resample(pcm, rate, SAMPLE_RATE))))


def silence(seconds: float) -> bytes:
    return bytes([SILENCE_BYTE]) * round(seconds * SAMPLE_RATE)


def words(text: str) -> list[str]:
    """``text`` in lower case without punctuation, word by word."""
    return re.findall(r"[a-z0-9']+", text.lower())


def feed_frames(session: RecognizerSession, audio: bytes) -> None:
    """``audio`` fed as the carrier sends it, 160 bytes (20 ms) at a time."""
    for frame in frames(audio):
        session.feed(frame)


async def events_until(session: RecognizerSession, finals: int) -> list[RecognizerEvent]:
    """The session's events up to and including its ``finals``-th final ``Heard``."""

    async def collect() -> list[RecognizerEvent]:
        seen: list[RecognizerEvent] = []
        async for event in session.events():
            seen.append(event)
            if sum(isinstance(item, Heard) and item.final for item in seen) == finals:
                break
        return seen

    return await asyncio.wait_for(collect(), _PATIENCE_SECONDS)


async def every_event(session: RecognizerSession, seen: list[RecognizerEvent]) -> list[RecognizerEvent]:
    """The session's events until they end, put in ``seen`` as they come (what came before
    an error is there when it is raised)."""
    async for event in session.events():
        seen.append(event)
    return seen


def final_words(events: list[RecognizerEvent]) -> list[list[str]]:
    return [words(event.text) for event in events if isinstance(event, Heard) and event.final]
