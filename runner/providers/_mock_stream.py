"""The mock carrier's side of a media stream: what Twilio does with ``<Connect><Stream>``.

It opens the WebSocket at the stream's URL, sends ``connected`` and ``start`` (the
``<Parameter>``s as ``customParameters``), then keeps up both halves of a phone line:

- the callee's microphone: one 20 ms mu-law frame every 20 ms, as Twilio sends them
  however quiet the line is: the script's speech when the callee speaks, else silence;
- the callee's ear: the server's audio played at real-time pace, each ``mark`` echoed
  when playback reaches it, ``clear`` dropping what is buffered (and echoing its marks).

The script plays on it. Before each move but ``wait:N`` the callee lets the bot finish:
it waits until the bot has spoken since the callee's last answer, all of it heard, and a
short pause has passed, so it answers after the prompt as a person would. ``say:TEXT``
is espeak-ng's voice, then a second of silence (how the server hears that the words
ended); keys go as ``dtmf`` messages; ``silence`` says nothing (the bot speaks again
when its turn times out); ``hangup`` sends ``stop``; ``wait:N`` stays quiet for N
seconds. Out of script, the callee hangs up once the bot has said its piece and gone
quiet, as it hangs up at a gather on the webhook path.

The stream also ends when the server closes the socket (the document goes on with its
next verb), and when the carrier's REST side is told to hang up or to redirect the call:
then it sends ``stop``, as Twilio does.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import enum
import itertools
import logging
import uuid
import xml.etree.ElementTree as ElementTree
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from runner.audio import FRAME_BYTES, FRAME_SECONDS, SAMPLE_RATE, SILENCE_BYTE, frames
from runner.script import CallerAction, HangUp, Press, Say, Silence, Wait
from runner.speech import Synthesizer

logger = logging.getLogger("callflow.mock")

#: Silence after the callee's words: how the server's voice activity detector hears they ended.
TRAILING_SILENCE_SECONDS = 1.0
#: How long the bot stays quiet, all it said heard, before the callee answers: long enough
#: for the next utterance of the same turn (a greeting, then a question) to start.
TURN_PAUSE_SECONDS = 0.5
#: Out of script, how long the bot stays quiet before the callee hangs up: longer than a
#: turn's pause, as a flow that ends hangs up itself as soon as its last words are heard.
HANG_UP_PAUSE_SECONDS = 2.0
#: How long the callee waits for the bot to say anything (a flow asking with no prompt)
#: before it answers anyway; long, as the first words wait for the recognizer to load.
BOT_PATIENCE_SECONDS = 30.0
#: Between two keys pressed.
KEY_GAP_SECONDS = 0.1
#: How long the server may take to accept the socket.
OPEN_SECONDS = 10.0
#: How often the callee looks whether the bot has finished.
_LOOK_SECONDS = 0.05
_SILENT_FRAME = bytes([SILENCE_BYTE]) * FRAME_BYTES


class StreamEnd(enum.Enum):
    #: The callee hung up (``hangup``, or out of script): the call is over.
    CALLEE_HUNG_UP = "callee-hung-up"
    #: The server closed the socket (or it never opened): the document goes on.
    CLOSED = "closed"
    #: The carrier was told to hang up.
    HUNG_UP = "hung-up"
    #: The carrier was told to fetch another document: ``StreamOutcome.url``.
    REDIRECTED = "redirected"


@dataclass(frozen=True)
class StreamOutcome:
    end: StreamEnd
    url: str = ""


class StreamedCallee(Protocol):
    """What the stream needs of the mock carrier's call (``MockCall``)."""

    sid: str
    script: deque[CallerAction]
    #: Set when the carrier is told to hang up.
    done: asyncio.Event
    #: URLs the carrier is told to fetch instead (a redirect).
    redirect_to: asyncio.Queue[str]


async def stream_callee(
    callee: StreamedCallee, stream: ElementTree.Element, voice: Synthesizer
) -> StreamOutcome:
    """Play ``callee``'s script on the media stream ``stream`` asks for, until it ends.
    Raises SpeechError when the callee's words cannot be synthesized."""
    url = stream.get("url", "")
    parameters = {
        parameter.get("name", ""): parameter.get("value", "")
        for parameter in stream
        if parameter.tag == "Parameter"
    }
    try:
        socket = await connect(url, open_timeout=OPEN_SECONDS)
    except (OSError, TimeoutError, WebSocketException) as error:
        # Twilio reports the failure and goes on with the document.
        logger.warning("mock call %s: the media stream at %s did not open: %s", callee.sid, url, error)
        return StreamOutcome(StreamEnd.CLOSED)
    async with socket:
        line = _Line(socket, callee, voice)
        return await line.run(parameters)


class _Line:
    """One stream of one call: the callee's microphone, ear and script."""

    def __init__(self, socket: ClientConnection, callee: StreamedCallee, voice: Synthesizer) -> None:
        self.socket = socket
        self.callee = callee
        self.voice = voice
        self.stream_sid = f"MZ{uuid.uuid4().hex}"
        self._sequence = itertools.count(1)
        #: What the callee is about to say, frame by frame; silence when empty.
        self._mouth: deque[bytes] = deque()
        self._mouth_empty = asyncio.Event()
        #: The bot's audio not played yet: frames, and the names of the marks between them.
        self._ear: deque[bytes | str] = deque()
        self._ear_filled = asyncio.Event()
        self._playing = False
        #: Frames of the bot's audio received since the stream started.
        self.frames_heard = 0
        self._quiet_since = 0.0

    async def run(self, parameters: dict[str, str]) -> StreamOutcome:
        await self._send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await self._send(self._start(parameters))
        loop = asyncio.get_running_loop()
        self._quiet_since = loop.time()
        background = [loop.create_task(self._speak()), loop.create_task(self._play())]
        closed = loop.create_task(self._listen())
        callee_done = loop.create_task(self._play_script())
        hung_up = loop.create_task(self.callee.done.wait())
        redirect = loop.create_task(self.callee.redirect_to.get())
        ends = [closed, callee_done, hung_up, redirect]
        try:
            await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
            outcome = self._outcome(closed, callee_done, hung_up, redirect)
            if outcome.end is not StreamEnd.CLOSED:
                await self._send({"event": "stop", "stop": {"callSid": self.callee.sid}})
            return outcome
        finally:
            for task in (*ends, *background):
                task.cancel()
            await asyncio.gather(*ends, *background, return_exceptions=True)

    def _outcome(
        self,
        closed: asyncio.Task[None],
        callee_done: asyncio.Task[None],
        hung_up: asyncio.Task[Any],
        redirect: asyncio.Task[str],
    ) -> StreamOutcome:
        """What ended the stream; the carrier's orders first, as they cut the line."""
        if redirect.done():
            return StreamOutcome(StreamEnd.REDIRECTED, redirect.result())
        if hung_up.done():
            return StreamOutcome(StreamEnd.HUNG_UP)
        if closed.done():
            return StreamOutcome(StreamEnd.CLOSED)
        callee_done.result()  # a SpeechError surfaces here
        return StreamOutcome(StreamEnd.CALLEE_HUNG_UP)

    def _start(self, parameters: dict[str, str]) -> dict[str, Any]:
        media_format = {"encoding": "audio/x-mulaw", "sampleRate": SAMPLE_RATE, "channels": 1}
        return {
            "event": "start",
            "start": {
                "streamSid": self.stream_sid,
                "callSid": self.callee.sid,
                "tracks": ["inbound"],
                "customParameters": parameters,
                "mediaFormat": media_format,
            },
        }

    async def _send(self, message: dict[str, Any]) -> None:
        """Send one message; nothing once the server has closed (``_listen`` says so)."""
        message = {**message, "sequenceNumber": str(next(self._sequence)), "streamSid": self.stream_sid}
        with contextlib.suppress(ConnectionClosed):
            await self.socket.send(orjson.dumps(message).decode())

    # -- the callee's ear -------------------------------------------------------------------

    async def _listen(self) -> None:
        """Read the server's messages until it closes the socket, or sends one that is not
        the protocol's: the mock ends the stream then, so a server's mistake shows at once."""
        try:
            async for text in self.socket:
                message = orjson.loads(text)
                event = message.get("event")
                if event == "media":
                    self._ear.append(base64.b64decode(message["media"]["payload"], validate=True))
                    self.frames_heard += 1
                    self._ear_filled.set()
                elif event == "mark":
                    self._ear.append(str(message["mark"]["name"]))
                    self._ear_filled.set()
                elif event == "clear":
                    await self._clear()
        except ConnectionClosed:
            return
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            logger.warning(
                "mock call %s: the server sent a message that is not the protocol's: %r; "
                "the stream is closed",
                self.callee.sid,
                error,
            )

    async def _clear(self) -> None:
        """The server barged in on itself: drop the buffered audio, echo its marks."""
        marks = [item for item in self._ear if isinstance(item, str)]
        self._ear.clear()
        for name in marks:
            await self._send({"event": "mark", "mark": {"name": name}})

    async def _play(self) -> None:
        """Play the bot's audio at the pace of real time, echoing each mark when reached."""
        loop = asyncio.get_running_loop()
        clock = loop.time()
        while True:
            if not self._ear:
                if self._playing:
                    self._playing = False
                    self._quiet_since = loop.time()
                self._ear_filled.clear()
                await self._ear_filled.wait()
                clock = loop.time()
                continue
            item = self._ear.popleft()
            if isinstance(item, str):
                await self._send({"event": "mark", "mark": {"name": item}})
                continue
            self._playing = True
            clock += len(item) / SAMPLE_RATE
            await asyncio.sleep(max(0.0, clock - loop.time()))

    def _bot_quiet_for(self) -> float | None:
        """Seconds since the bot's last audio finished playing; None while it plays."""
        if self._ear or self._playing:
            return None
        return asyncio.get_running_loop().time() - self._quiet_since

    # -- the callee's microphone ------------------------------------------------------------

    async def _speak(self) -> None:
        """Send a frame every 20 ms: the callee's words, else silence."""
        loop = asyncio.get_running_loop()
        started = clock = loop.time()
        for chunk in itertools.count(1):
            frame = self._mouth.popleft() if self._mouth else _SILENT_FRAME
            if not self._mouth:
                self._mouth_empty.set()
            payload = base64.b64encode(frame).decode("ascii")
            timestamp = str(round((clock - started) * 1000))
            media = {"track": "inbound", "chunk": str(chunk), "timestamp": timestamp, "payload": payload}
            await self._send({"event": "media", "media": media})
            clock += FRAME_SECONDS
            await asyncio.sleep(max(0.0, clock - loop.time()))

    async def _say(self, text: str) -> None:
        """Say ``text`` in espeak-ng's voice, then a second of silence; returns once sent."""
        audio = bytearray()
        async with contextlib.aclosing(self.voice.synthesize(text)) as pieces:
            async for piece in pieces:
                audio += piece
        audio += bytes([SILENCE_BYTE]) * round(TRAILING_SILENCE_SECONDS * SAMPLE_RATE)
        self._mouth_empty.clear()
        self._mouth.extend(frames(bytes(audio)))
        await self._mouth_empty.wait()

    async def _press(self, keys: str) -> None:
        for key in keys:
            await self._send({"event": "dtmf", "dtmf": {"track": "inbound_track", "digit": key}})
            await asyncio.sleep(KEY_GAP_SECONDS)

    # -- the script ----------------------------------------------------------------------------

    async def _play_script(self) -> None:
        """Play the callee's moves; returns when the callee hangs up."""
        script = self.callee.script
        answered = _Answer(0, asyncio.get_running_loop().time())  # the bot speaks first
        while script:
            move = script.popleft()
            if isinstance(move, Wait):
                await asyncio.sleep(move.seconds)
                continue
            await self._bot_finished(answered, TURN_PAUSE_SECONDS)
            if isinstance(move, HangUp):
                return
            answered = _Answer(self.frames_heard, asyncio.get_running_loop().time())
            await self._answer(move)
        await self._bot_finished(answered, HANG_UP_PAUSE_SECONDS)

    def _answer(self, move: Press | Say | Silence) -> Coroutine[Any, Any, None]:
        if isinstance(move, Press):
            return self._press(move.digits)
        if isinstance(move, Say):
            return self._say(move.text)
        return asyncio.sleep(0)  # silence: the bot's turn times out and it speaks again

    async def _bot_finished(self, answered: _Answer, pause: float) -> None:
        """Returns once the bot has spoken since ``answered``, been heard, and kept quiet
        for ``pause``; or, if it says nothing, after ``BOT_PATIENCE_SECONDS``."""
        loop = asyncio.get_running_loop()
        while True:
            quiet = self._bot_quiet_for()
            if quiet is not None:
                spoke = self.frames_heard > answered.frames_heard
                if spoke and quiet >= pause:
                    return
                if not spoke and loop.time() - answered.at >= BOT_PATIENCE_SECONDS:
                    return
            await asyncio.sleep(_LOOK_SECONDS)


@dataclass(frozen=True)
class _Answer:
    """When the callee last answered: the bot's frames heard by then, and the time."""

    frames_heard: int
    at: float
