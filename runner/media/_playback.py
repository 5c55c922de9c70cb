"""What the bot says on one stream: queued speech sent in 20 ms frames at the pace it
plays, each utterance followed by a mark that the carrier echoes once the caller has
heard it.

Sending at the pace of playback (a little ahead) keeps the carrier's buffer short, so
a barge-in stops the bot at once: ``interrupt`` sends ``clear``, drops what is queued,
stops the synthesizers still speaking, and reports the utterances as skipped, so that
nothing waits on audio that will never play.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field

from runner.audio import FRAME_BYTES, FRAME_SECONDS, SILENCE_BYTE
from runner.media._protocols import TWILIO_STREAMS, StreamProtocol
from runner.speech import SpeechError

logger = logging.getLogger("callflow.media")

#: How far ahead of playback audio is sent: enough to ride out a late tick.
LEAD_SECONDS = 0.1
#: How often the pacing loop wakes: three frames a wake, not one every 20 ms.
TICK_SECONDS = 0.06


@dataclass(eq=False)
class Utterance:
    """One thing said: its audio, the mark that follows it, and whether it was heard."""

    mark: str
    interruptible: bool
    audio: AsyncGenerator[bytes, None] | None
    buffer: bytearray = field(default_factory=bytearray)
    #: Set when the carrier echoed the mark (heard) or the utterance was skipped.
    done: asyncio.Event = field(default_factory=asyncio.Event)
    skipped: bool = False
    sent: bool = False

    async def next_frame(self) -> bytes | None:
        """The next 160 bytes to send (the last padded with silence); None at the end."""
        while len(self.buffer) < FRAME_BYTES and self.audio is not None:
            try:
                self.buffer += await anext(self.audio)
            except StopAsyncIteration:
                self.audio = None
            except SpeechError as error:
                logger.warning("speech synthesis failed (%s): the rest of this utterance is skipped", error)
                self.audio = None
        if not self.buffer:
            return None
        frame = bytes(self.buffer[:FRAME_BYTES]).ljust(FRAME_BYTES, bytes([SILENCE_BYTE]))
        del self.buffer[:FRAME_BYTES]
        return frame

    async def stop(self) -> None:
        self.skipped = True
        self.done.set()
        if self.audio is not None:
            audio, self.audio = self.audio, None
            with contextlib.suppress(Exception):
                await audio.aclose()


async def _once(audio: bytes) -> AsyncGenerator[bytes, None]:
    yield audio


class Playback:
    """The bot's side of one stream; ``send`` writes one text frame to the carrier, in
    its ``protocol``."""

    def __init__(
        self,
        send: Callable[[str], Awaitable[None]],
        stream_sid: str,
        protocol: StreamProtocol = TWILIO_STREAMS,
    ) -> None:
        self.send = send
        self.stream_sid = stream_sid
        self.protocol = protocol
        self._queue: deque[Utterance] = deque()
        self._unheard: dict[str, Utterance] = {}
        self._names = itertools.count(1)
        self._wake = asyncio.Event()

    def say(self, audio: AsyncGenerator[bytes, None] | bytes, *, interruptible: bool) -> Utterance:
        """Queue ``audio`` (8 kHz mu-law, or a synthesizer's stream of it)."""
        stream = _once(audio) if isinstance(audio, bytes) else audio
        utterance = Utterance(f"said-{next(self._names)}", interruptible, stream)
        self._queue.append(utterance)
        self._unheard[utterance.mark] = utterance
        self._wake.set()
        return utterance

    @property
    def speaking(self) -> bool:
        """Whether anything said is not yet heard (queued, sending, or buffered at the carrier)."""
        return bool(self._unheard)

    @property
    def interruptible(self) -> bool:
        """Whether the caller speaking now may stop the bot: everything unheard allows it."""
        return bool(self._unheard) and all(item.interruptible for item in self._unheard.values())

    def heard(self, mark: str) -> None:
        """The carrier played up to ``mark``: that utterance, and any before it, were heard."""
        utterance = self._unheard.get(mark)
        if utterance is None:
            return
        for name in list(self._unheard):
            done = self._unheard.pop(name)
            done.done.set()
            if name == mark:
                break

    async def drained(self) -> None:
        """Returns once everything said so far was heard or skipped."""
        while self._unheard:
            await next(iter(self._unheard.values())).done.wait()

    async def interrupt(self) -> int:
        """The caller barged in: clear the carrier's buffer, drop the queue; how many
        utterances were cut short or skipped."""
        unheard = list(self._unheard.values())
        if not unheard:
            return 0
        self._unheard.clear()
        self._queue.clear()
        for utterance in unheard:
            # Skipped before the clear goes: a frame being made now is never sent after it.
            utterance.skipped = True
        await self.send(self.protocol.clear(self.stream_sid))
        for utterance in unheard:
            await utterance.stop()
        return len(unheard)

    async def close(self) -> None:
        """The stream is over: whatever was not heard never will be."""
        for utterance in list(self._unheard.values()):
            await utterance.stop()
        self._unheard.clear()
        self._queue.clear()

    async def run(self) -> None:
        """Send queued audio at the pace it plays, until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
            # A new run of speech: paced from now.
            started, sent = loop.time(), 0
            while self._queue:
                due = int((loop.time() - started + LEAD_SECONDS) / FRAME_SECONDS) - sent
                sent += await self._send_frames(due)
                await asyncio.sleep(TICK_SECONDS)

    async def _send_frames(self, count: int) -> int:
        """Send up to ``count`` frames from the head of the queue, and the marks of the
        utterances they finish; how many frames went."""
        sent = 0
        while sent < count and self._queue:
            utterance = self._queue[0]
            frame = await utterance.next_frame()
            if utterance.skipped:
                continue  # interrupted while its audio was being made
            if frame is None:
                self._queue.popleft()
                utterance.sent = True
                await self.send(self.protocol.mark(self.stream_sid, utterance.mark))
                continue
            await self.send(self.protocol.media(self.stream_sid, frame))
            sent += 1
        return sent
