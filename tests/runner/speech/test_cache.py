"""The synthesizer cache: a prompt said to every caller is synthesized once, by the real
espeak-ng; speech stopped early (a barge-in) is not kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from runner.speech import CachedSynthesizer, EspeakSynthesizer


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


async def _said(cache: CachedSynthesizer, text: str) -> bytes:
    return b"".join([chunk async for chunk in cache.synthesize(text)])


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


def test_speech_stopped_early_is_not_kept_and_old_texts_make_room() -> None:
    async def run() -> list[str]:
        engine = CountingEspeak()
        # Room for one of these prompts' audio, not two.
        cache = CachedSynthesizer(engine, max_bytes=30_000)
        speech = cache.synthesize("This prompt is cut short by the caller, who has heard enough of it.")
        await anext(speech)
        await speech.aclose()
        await _said(cache, "This prompt is cut short by the caller, who has heard enough of it.")
        await _said(cache, "Another prompt.")
        await _said(cache, "This prompt is cut short by the caller, who has heard enough of it.")
        await cache.aclose()
        return engine.asked

    assert asyncio.run(run()) == [
        "This prompt is cut short by the caller, who has heard enough of it.",
        "This prompt is cut short by the caller, who has heard enough of it.",
        "Another prompt.",
        "This prompt is cut short by the caller, who has heard enough of it.",
    ]
