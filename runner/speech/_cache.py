"""What was said once, kept: a flow says the same prompts to every caller, so each is
synthesized once, not once a call.

A text being synthesized is shared too: calls that start together (a campaign's, a
burst of inbound ones) all follow the one synthesis as its audio comes, rather than
each starting its own. The synthesis runs on its own, so a caller who barges in does
not cut it short for the others; its audio is kept once complete (never after a
failure), and the texts said longest ago make room for new ones, within a memory budget.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncGenerator

from runner.speech._interfaces import SpeechError, Synthesizer

#: The audio kept at most: 16 MB of 8 kHz mu-law is about half an hour of speech.
MAX_BYTES = 16 << 20

_Key = tuple[str, str | None, str | None]


class _Making:
    """One text's synthesis under way: its audio so far, and a wake-up for each piece."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.finished = False
        self.error: SpeechError | None = None
        self.changed = asyncio.Event()

    def notify(self) -> None:
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()


class CachedSynthesizer:
    """``synthesizer`` with the audio of recent texts kept in memory."""

    def __init__(self, synthesizer: Synthesizer, *, max_bytes: int = MAX_BYTES) -> None:
        self.inner = synthesizer
        self.name = synthesizer.name
        self.max_bytes = max_bytes
        self._audio: OrderedDict[_Key, bytes] = OrderedDict()
        self._bytes = 0
        self._making: dict[_Key, _Making] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def synthesize(
        self, text: str, *, voice: str | None = None, language: str | None = None
    ) -> AsyncGenerator[bytes, None]:
        key = (text, voice, language)
        kept = self._audio.get(key)
        if kept is not None:
            self._audio.move_to_end(key)
            yield kept
            return
        making = self._making.get(key) or self._start(key)
        index = 0
        while True:
            changed = making.changed
            if index < len(making.parts):
                index += 1
                yield making.parts[index - 1]
            elif making.finished:
                if making.error is not None:
                    raise making.error
                return
            else:
                await changed.wait()

    def _start(self, key: _Key) -> _Making:
        making = self._making[key] = _Making()
        task = asyncio.ensure_future(self._make(key, making))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return making

    async def _make(self, key: _Key, making: _Making) -> None:
        text, voice, language = key
        try:
            async for chunk in self.inner.synthesize(text, voice=voice, language=language):
                making.parts.append(chunk)
                making.notify()
            self._keep(key, b"".join(making.parts))
        except SpeechError as error:
            making.error = error
        finally:
            making.finished = True
            self._making.pop(key, None)
            making.notify()

    def _keep(self, key: _Key, audio: bytes) -> None:
        if len(audio) > self.max_bytes or key in self._audio:
            return
        self._audio[key] = audio
        self._bytes += len(audio)
        while self._bytes > self.max_bytes:
            _, dropped = self._audio.popitem(last=False)
            self._bytes -= len(dropped)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.inner.aclose()
