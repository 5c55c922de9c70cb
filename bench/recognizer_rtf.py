"""The offline recognizer's real-time factor: seconds of CPU per second of caller speech.

Each phrase is spoken by espeak-ng, sent through the 8 kHz mu-law channel and fed in
20 ms frames to a new ``WhisperRecognizer`` session (faster-whisper, int8, one thread,
the packaged model), followed by the second of silence that ends the utterance; the CPU
of the whole process (voice activity, resampling, Whisper) is counted from the first
frame to the final words. Below 1.0, one core hears faster than the caller speaks.
Whisper pads every utterance to a 30 s window, so a short phrase costs almost as much as
a long one: the factor falls as phrases grow. The model is loaded and warmed up first.

    .venv/bin/python bench/recognizer_rtf.py --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import time
from dataclasses import dataclass

from runner.audio import SAMPLE_RATE, SILENCE_BYTE, encode, frames, read_wav, resample
from runner.speech import Heard, SttSettings, WhisperRecognizer, build_recognizer

PHRASES = (
    "Yes",
    "I want to confirm my appointment",
    "Please cancel my order",
    "I would like to speak to an agent",
    "What time do you open tomorrow",
    "Could you move my appointment to Thursday afternoon instead of Tuesday morning",
)


@dataclass(frozen=True)
class Measured:
    phrase: str
    speech_seconds: float
    cpu_seconds: float
    wall_seconds: float
    text: str


def said(text: str) -> bytes:
    wav = subprocess.run(["espeak-ng", "--stdout", "--", text], capture_output=True, check=True).stdout
    pcm, rate = read_wav(wav)
    return encode(resample(pcm, rate, SAMPLE_RATE))


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


async def hear(recognizer: WhisperRecognizer, phrase: str, speech: bytes) -> Measured:
    audio = speech + bytes([SILENCE_BYTE]) * SAMPLE_RATE
    cpu, wall = time.process_time(), time.perf_counter()
    session = recognizer.open()
    for frame in frames(audio):
        session.feed(frame)
    text = ""
    async for event in session.events():
        if isinstance(event, Heard) and event.final:
            text = event.text
            break
    await session.aclose()
    return Measured(
        phrase,
        len(speech) / SAMPLE_RATE,
        time.process_time() - cpu,
        time.perf_counter() - wall,
        text,
    )


async def run(rounds: int) -> list[Measured]:
    recognizer = build_recognizer(SttSettings(engine="whisper", threads=1))
    if not isinstance(recognizer, WhisperRecognizer):
        raise TypeError("expected the Whisper recognizer")
    loading = time.perf_counter()
    await recognizer.load()
    print(f"model {recognizer.model_dir} loaded in {time.perf_counter() - loading:.2f} s")
    speech = {phrase: said(phrase) for phrase in PHRASES}
    await hear(recognizer, PHRASES[1], speech[PHRASES[1]])
    results = [await hear(recognizer, phrase, speech[phrase]) for _ in range(rounds) for phrase in PHRASES]
    await recognizer.aclose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="times every phrase is heard (3)")
    results = asyncio.run(run(parser.parse_args(argv).rounds))
    print("| phrase | speech s | CPU s (median) | real-time factor | wall s | heard word for word |")
    print("| --- | --- | --- | --- | --- | --- |")
    for phrase in PHRASES:
        mine = [result for result in results if result.phrase == phrase]
        cpu = statistics.median(result.cpu_seconds for result in mine)
        wall = statistics.median(result.wall_seconds for result in mine)
        exact = all(words(result.text) == words(phrase) for result in mine)
        print(
            f"| {phrase} | {mine[0].speech_seconds:.2f} | {cpu:.3f} | {cpu / mine[0].speech_seconds:.2f} "
            f"| {wall:.3f} | {'yes' if exact else 'no: ' + repr(mine[0].text)} |"
        )
    speech = sum(result.speech_seconds for result in results)
    cpu = sum(result.cpu_seconds for result in results)
    print(f"overall: {cpu:.2f} s of CPU for {speech:.1f} s of speech, real-time factor {cpu / speech:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
