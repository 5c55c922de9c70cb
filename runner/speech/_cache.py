"""What was said once, kept: a flow says the same prompts to every caller, so each is
synthesized once, not once a call.

A text's audio is kept only when its synthesis ran to the end (a barge-in that stops it
early keeps nothing); the texts said longest ago make room for new ones, within a
memory budget.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncGenerator

from runner.speech._interfaces import Synthesizer

#: The audio kept at most: 16 MB of 8 kHz mu-law is about half an hour of speech.
MAX_BYTES = 16 << 20


class CachedSynthesizer:
    """``synthesizer`` with the audio of recent texts kept in memory."""

    def __init__(self, synthesizer: Synthesizer, *, max_bytes: int = MAX_BYTES) -> None:
        self.inner = synthesizer
        self.name = synthesizer.name
        self.max_bytes = max_bytes
        self._audio: OrderedDict[tuple[str, str | None, str | None], bytes] = OrderedDict()
        self._bytes = 0

    async def synthesize(
        self, text: str, *, voice: str | None = None, language: str | None = None
    ) -> AsyncGenerator[bytes, None]:
        key = (text, voice, language)
        kept = self._audio.get(key)
        if kept is not None:
            self._audio.move_to_end(key)
            yield kept
            return
        parts: list[bytes] = []
        async for chunk in self.inner.synthesize(text, voice=voice, language=language):
            parts.append(chunk)
            yield chunk
        # Reached only when the synthesis ran to its end (not closed early).
        self._keep(key, b"".join(parts))

    def _keep(self, key: tuple[str, str | None, str | None], audio: bytes) -> None:
        if len(audio) > self.max_bytes or key in self._audio:
            return
        self._audio[key] = audio
        self._bytes += len(audio)
        while self._bytes > self.max_bytes:
            _, dropped = self._audio.popitem(last=False)
            self._bytes -= len(dropped)

    async def aclose(self) -> None:
        await self.inner.aclose()
