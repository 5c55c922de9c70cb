"""The queue between a recognizer's work and the one reader of its session's events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Final

from runner.speech._interfaces import RecognizerEvent, SpeechError


class _Closed:
    pass


_CLOSED: Final = _Closed()


class EventChannel:
    """Events in the order they were put, then the end: a close, or the error that ended
    the session (raised to the reader once what came before it has been read)."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[RecognizerEvent | SpeechError | _Closed] = asyncio.Queue()
        self._ended = False
        # What ended the events once read, so a second reader ends the same way.
        self._end: SpeechError | _Closed | None = None

    def put(self, event: RecognizerEvent) -> None:
        if not self._ended:
            self._queue.put_nowait(event)

    def fail(self, error: SpeechError) -> None:
        if not self._ended:
            self._ended = True
            self._queue.put_nowait(error)

    def close(self) -> None:
        if not self._ended:
            self._ended = True
            self._queue.put_nowait(_CLOSED)

    async def events(self) -> AsyncIterator[RecognizerEvent]:
        while True:
            item = self._end or await self._queue.get()
            if isinstance(item, _Closed):
                self._end = item
                return
            if isinstance(item, SpeechError):
                self._end = item
                raise item
            yield item
