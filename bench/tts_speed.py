"""How much CPU espeak-ng speech costs: seconds of CPU per second of telephone audio.

Speaks a few phone-call sentences ``rounds`` times, one after another, through
``EspeakSynthesizer`` (espeak-ng, then 22,050 Hz to 8 kHz mu-law in this process), and
counts the CPU of the espeak-ng processes and of this one apart. Below 1.0, one core
speaks faster than real time; 1 / total is how many calls one core could keep talking
at once if they all spoke at the same moment.

    .venv/bin/python bench/tts_speed.py --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import time

from runner.audio import SAMPLE_RATE
from runner.speech import EspeakSynthesizer

SENTENCES = (
    "Hello, this is the clinic calling about your appointment on Tuesday at nine thirty.",
    "Say confirm to keep it, or cancel to free the slot for someone else.",
    "Thank you. Your appointment is confirmed. Goodbye.",
)


async def speak(rounds: int) -> tuple[int, list[float]]:
    """The bytes of 8 kHz mu-law spoken (one a sample), and the milliseconds from asking
    for each sentence to its first piece."""
    synthesizer = EspeakSynthesizer()
    spoken, first_ms = 0, []
    try:
        for _ in range(rounds):
            for sentence in SENTENCES:
                asked, spoken_before = time.perf_counter(), spoken
                async for piece in synthesizer.synthesize(sentence):
                    if spoken_before == spoken:
                        first_ms.append(1000 * (time.perf_counter() - asked))
                    spoken += len(piece)
    finally:
        await synthesizer.aclose()
    return spoken, first_ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="times every sentence is spoken (5)")
    rounds = parser.parse_args(argv).rounds
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    own_before, wall_before = time.process_time(), time.perf_counter()
    spoken, first_ms = asyncio.run(speak(rounds))
    own = time.process_time() - own_before
    wall = time.perf_counter() - wall_before
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    espeak = (children_after.ru_utime + children_after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    audio = spoken / SAMPLE_RATE
    print(f"{audio:.1f} s of speech, {3 * rounds} sentences, in {wall:.2f} s")
    print("| CPU per second of speech | seconds |")
    print("| --- | --- |")
    print(f"| espeak-ng processes | {espeak / audio:.4f} |")
    print(f"| resampling and mu-law in Python | {own / audio:.4f} |")
    print(f"| total | {(espeak + own) / audio:.4f} |")
    print(f"| wall clock, one at a time | {wall / audio:.4f} |")
    print(f"first audio of a sentence after {statistics.median(first_ms):.1f} ms (median)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
