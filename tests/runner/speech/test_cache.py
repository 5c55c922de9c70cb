"""The synthesizer cache: a prompt said to every caller is synthesized once, by the real
espeak-ng, however many calls say it at once; a failed synthesis is not kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from runner.speech import CachedSynthesizer, EspeakSynthesizer, SpeechError


class CountingEspeak:
    """espeak-ng, counting the texts it was asked to say."""

    name = "espeak-ng"

    def __init__(self) -> None:
        self.espeak = EspeakSynthesizer()
        self.asked: list[str] = []

    async def synthesize(
        self, text: str, *, voice: str | None = None, language: str | None = None
    ) -> AsyncGenerator[bytes, None]:
        self.asked.append(text)
        async for chunk in self.espeak.synthesize(text, voice=voice, language=language):
            yield chunk

    async def aclose(self) -> None:
        await self.espeak.aclose()


async def _said(cache: CachedSynthesizer, text: str, voice: str | None = None) -> bytes:
    return b"".join([chunk async for chunk in cache.synthesize(text, voice=voice)])


def test_a_prompt_is_synthesized_once_and_said_the_same_every_time() -> None:
    async def run() -> tuple[bytes, bytes, list[str]]:
        engine = CountingEspeak()
        cache = CachedSynthesizer(engine)
        first = await _said(cache, "Press 1 to confirm.")
        second = await _said(cache, "Press 1 to confirm.")
        await cache.aclose()
        return first, second, engine.asked

    first, second, asked = asyncio.run(run())
    assert len(first) > 8000  # more than a second of speech
    assert second == first
    assert asked == ["Press 1 to confirm."]


def test_calls_saying_a_prompt_at_once_share_one_synthesis_and_one_stopping_early_stops_none() -> None:
    text = "Hello, this is the clinic calling about your appointment on Tuesday."

    async def run() -> tuple[list[bytes], list[str]]:
        engine = CountingEspeak()
        cache = CachedSynthesizer(engine)
        cut = cache.synthesize(text)
        await anext(cut)
        await cut.aclose()  # a caller who barged in
        together = await asyncio.gather(*(_said(cache, text) for _ in range(5)))
        again = await _said(cache, text)
        await cache.aclose()
        return [*together, again], engine.asked

    audio, asked = asyncio.run(run())
    assert asked == [text]
    assert len(set(audio)) == 1
    assert len(audio[0]) > 16000


def test_a_failed_synthesis_reaches_every_caller_and_is_not_kept() -> None:
    async def run() -> list[str]:
        engine = CountingEspeak()
        cache = CachedSynthesizer(engine)
        for _ in range(2):
            results = await asyncio.gather(
                _said(cache, "Hello.", voice="xx-nowhere"),
                _said(cache, "Hello.", voice="xx-nowhere"),
                return_exceptions=True,
            )
            assert all(isinstance(result, SpeechError) for result in results), results
            assert "has no voice 'xx-nowhere'" in str(results[0])
        await cache.aclose()
        return engine.asked

    assert asyncio.run(run()) == ["Hello.", "Hello."]


def test_audio_beyond_the_budget_makes_room_by_dropping_the_oldest() -> None:
    long, short = "Your appointment is on Tuesday at nine.", "Goodbye."

    async def run() -> list[str]:
        engine = CountingEspeak()
        cache = CachedSynthesizer(engine)
        # Room for the long prompt, not for both.
        cache.max_bytes = len(await _said(cache, long)) + 100
        await _said(cache, short)
        await _said(cache, long)
        await cache.aclose()
        return engine.asked

    assert asyncio.run(run()) == [long, short, long]


def test_audio_larger_than_the_whole_budget_is_never_kept() -> None:
    async def run() -> list[str]:
        engine = CountingEspeak()
        cache = CachedSynthesizer(engine, max_bytes=1)
        await _said(cache, "Hello.")
        await _said(cache, "Hello.")
        await cache.aclose()
        return engine.asked

    assert asyncio.run(run()) == ["Hello.", "Hello."]
