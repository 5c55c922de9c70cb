"""Every media stream of one server: a session per call, kept a moment when its socket
drops so that a reconnect carries on.

The socket gate (``runner.server``) has checked the stream's one-time token and its
``start``; this is what runs once it has. A socket that closes without ``stop`` is a
drop: its token is good again for ``reconnect_seconds`` (2 s), and a socket that brings
it back within them takes the session over where it was. A longer drop ends the call.
Plivo never says ``stop``: its socket closes when the call moves on, and that is a
drop too, over at once when the call has ended by then (a hang-up, a transfer).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from dataclasses import dataclass, field

from starlette.websockets import WebSocket, WebSocketDisconnect

from runner.media import _messages as messages
from runner.media._protocols import TWILIO_STREAMS, StreamProtocol, StreamStart
from runner.media._realtime_session import RealtimeMediaSession
from runner.media._session import MediaSession
from runner.realtime import RealtimeProvider
from runner.service import CallService, ServiceError, StreamedCall, StreamTokens
from runner.speech import Recognizer, Synthesizer

logger = logging.getLogger("callflow.media")

#: How long a dropped stream may take to come back before its call ends.
RECONNECT_SECONDS = 2.0


class _Outcome(enum.Enum):
    STOPPED = "stopped"  # the carrier sent stop: the call hung up or moved on
    DROPPED = "dropped"  # the socket closed without stop


class _Line:
    """The socket a session speaks on now; frames sent while it is down are lost."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket: WebSocket | None = websocket

    async def send(self, text: str) -> None:
        websocket = self.websocket
        if websocket is None:
            return
        try:
            await websocket.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            self.websocket = None


@dataclass
class _Stream:
    session: MediaSession | RealtimeMediaSession
    line: _Line
    token: str
    outcomes: asyncio.Queue[_Outcome] = field(default_factory=asyncio.Queue)
    back: asyncio.Event = field(default_factory=asyncio.Event)


class MediaStreams:
    """The handler the media socket gate runs for each started stream."""

    def __init__(
        self,
        service: CallService,
        synthesizer: Synthesizer,
        recognizer: Recognizer | None,
        *,
        realtime: RealtimeProvider | None = None,
        reconnect_seconds: float = RECONNECT_SECONDS,
        protocol: StreamProtocol = TWILIO_STREAMS,
    ) -> None:
        self.service = service
        #: The carrier's media stream messages.
        self.protocol = protocol
        self.synthesizer = synthesizer
        self.recognizer = recognizer
        self.realtime = realtime
        self.reconnect_seconds = reconnect_seconds
        self._streams: dict[str, _Stream] = {}

    @property
    def tokens(self) -> StreamTokens:
        return self.service.stream_tokens

    async def handle(self, call_id: str, websocket: WebSocket, start: StreamStart) -> None:
        stream = self._streams.get(call_id)
        if stream is not None:
            # The same call's stream, back within the reconnect window.
            stream.line.websocket = websocket
            stream.back.set()
            await stream.outcomes.put(await self._carry(stream, websocket))
            return
        try:
            call = self.service.streamed_call(call_id)
        except ServiceError as error:
            logger.warning("media stream for call %s refused: %s", call_id, error)
            return
        line = _Line(websocket)
        session = self._session_of(call, line, start.stream_id)
        stream = self._streams[call_id] = _Stream(session, line, start.token or "")
        running = asyncio.create_task(session.run(), name=f"media of {call_id}")
        running.add_done_callback(_log_failure)
        try:
            await stream.outcomes.put(await self._carry(stream, websocket))
            await self._until_over(call_id, stream)
        finally:
            running.cancel()
            await session.close()
            del self._streams[call_id]

    def _session_of(
        self, call: StreamedCall, line: _Line, stream_sid: str
    ) -> MediaSession | RealtimeMediaSession:
        """The call's kind of session: a realtime model's, or this server's speech engines'."""
        if call.audio == "realtime" and self.realtime is not None:
            return RealtimeMediaSession(call, self.realtime, line.send, stream_sid, self.protocol)
        recognizer = self.recognizer.open() if self.recognizer is not None else None
        return MediaSession(call, self.synthesizer, recognizer, line.send, stream_sid, self.protocol)

    async def aclose(self) -> None:
        """The server stops: the speech engines let go of what they hold."""
        await self.synthesizer.aclose()
        if self.recognizer is not None:
            await self.recognizer.aclose()

    async def _until_over(self, call_id: str, stream: _Stream) -> None:
        """Wait out the stream's sockets: a drop waits for a reconnect, which carries on."""
        while True:
            outcome = await stream.outcomes.get()
            session = stream.session
            if outcome is _Outcome.STOPPED or session.finished.is_set() or session.call.ended:
                return
            stream.back.clear()
            self.tokens.allow_again(stream.token, call_id, self.reconnect_seconds)
            try:
                await asyncio.wait_for(stream.back.wait(), self.reconnect_seconds)
            except TimeoutError:
                logger.warning("call %s: its media stream dropped and did not come back", call_id)
                await stream.session.call.stream_lost(self.reconnect_seconds)
                return

    async def _carry(self, stream: _Stream, websocket: WebSocket) -> _Outcome:
        """Read one socket's messages into the session until it stops or drops."""
        session = stream.session
        try:
            while True:
                message = self.protocol.read(await websocket.receive_text())
                if isinstance(message, messages.Media):
                    session.heard_audio(message.audio)
                elif isinstance(message, messages.MarkPlayed):
                    session.mark_played(message.name)
                elif isinstance(message, messages.Dtmf):
                    session.pressed(message.digit)
                elif isinstance(message, messages.Stopped):
                    return _Outcome.STOPPED
        except WebSocketDisconnect:
            return _Outcome.DROPPED
        except messages.StreamMessageError as error:
            logger.warning("call %s: %s; the stream is closed", session.call.call_id, error)
            return _Outcome.STOPPED
        finally:
            if stream.line.websocket is websocket:
                stream.line.websocket = None


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("a media session failed", exc_info=task.exception())
