"""The mock carrier's side of a media stream, against a stand-in for the server's socket
on 127.0.0.1: the test plays the server, sending the bot's audio, marks and clears, and
records what the mock carrier sends back."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import xml.etree.ElementTree as ElementTree
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from runner.audio import FRAME_BYTES
from runner.providers._mock_stream import StreamEnd, StreamOutcome, stream_callee
from runner.script import CallerAction, Press, Wait
from runner.speech import EspeakSynthesizer
from tests.runner.cli.serve_process import free_port

#: Long enough for anything here; only a broken carrier makes a test wait this long.
PATIENCE_SECONDS = 60.0
#: The bot's audio the tests send: a loud frame (mu-law 0x00 is the most negative sample).
LOUD_FRAME = bytes([0x00]) * FRAME_BYTES


@dataclass
class Callee:
    sid: str = "MOCK-1"
    script: deque[CallerAction] = field(default_factory=deque)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    redirect_to: asyncio.Queue[str] = field(default_factory=asyncio.Queue)


@dataclass
class ServerSide:
    """What the stand-in server received: every message but media, in order; the media
    frames' sizes; and, for each message, how many media frames had come before it."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    frames_before: list[int] = field(default_factory=list)
    frame_sizes: set[int] = field(default_factory=set)
    frames: int = 0
    connection: ServerConnection | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def seen(self) -> list[str]:
        """The messages in short: "mark:NAME", "dtmf:DIGIT", or the event's name."""
        shown = []
        for message in self.messages:
            event = message["event"]
            if event == "mark":
                shown.append(f"mark:{message['mark']['name']}")
            elif event == "dtmf":
                shown.append(f"dtmf:{message['dtmf']['digit']}")
            else:
                shown.append(event)
        return shown

    async def read(self, connection: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for text in connection:
                message = json.loads(text)
                if message["event"] == "media":
                    self.frames += 1
                    self.frame_sizes.add(len(base64.b64decode(message["media"]["payload"])))
                else:
                    self.messages.append(message)
                    self.frames_before.append(self.frames)
                self._changed.set()

    async def wait_for(self, check: Callable[[ServerSide], bool]) -> None:
        async def until() -> None:
            while not check(self):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), PATIENCE_SECONDS)

    async def send(self, message: dict[str, Any]) -> None:
        assert self.connection is not None
        await self.connection.send(json.dumps({**message, "streamSid": "MZ-server"}))

    async def say(self, frames: int, mark: str) -> None:
        """The bot's audio, all at once as a server ahead of playback sends it, then a mark."""
        payload = base64.b64encode(LOUD_FRAME).decode()
        for _ in range(frames):
            await self.send({"event": "media", "media": {"payload": payload}})
        await self.send({"event": "mark", "mark": {"name": mark}})


Act = Callable[[ServerSide, Callee], Awaitable[None]]


def call(script: list[CallerAction], act: Act) -> tuple[StreamOutcome, ServerSide]:
    """Run the mock carrier's stream against a stand-in server that does ``act``."""
    side = ServerSide()
    callee = Callee(script=deque(script))

    async def handler(connection: ServerConnection) -> None:
        side.connection = connection
        reader = asyncio.create_task(side.read(connection))
        await side.wait_for(lambda got: "start" in got.seen)
        await act(side, callee)
        await reader  # until the carrier closes

    async def run() -> StreamOutcome:
        voice = EspeakSynthesizer()
        async with serve(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            stream = _stream(f"ws://127.0.0.1:{port}/voice/stream")
            try:
                return await asyncio.wait_for(stream_callee(callee, stream, voice), PATIENCE_SECONDS)
            finally:
                await voice.aclose()

    return asyncio.run(run()), side


def _stream(url: str) -> ElementTree.Element:
    return ElementTree.fromstring(f'<Stream url="{url}"><Parameter name="token" value="t-1"/></Stream>')


def test_the_callee_presses_its_keys_once_the_prompt_has_played_and_hangs_up_after_the_reply() -> None:
    async def act(server: ServerSide, callee: Callee) -> None:
        await server.say(25, "prompt")
        await server.wait_for(lambda got: "dtmf:2" in got.seen)
        await server.say(10, "reply")

    outcome, server = call([Press("12")], act)

    assert outcome == StreamOutcome(StreamEnd.CALLEE_HUNG_UP)
    assert server.seen == ["connected", "start", "mark:prompt", "dtmf:1", "dtmf:2", "mark:reply", "stop"]
    start = server.messages[1]
    assert start["start"]["customParameters"] == {"token": "t-1"}
    assert start["start"]["callSid"] == "MOCK-1"
    assert start["start"]["mediaFormat"] == {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
    assert {message["streamSid"] for message in server.messages} == {start["start"]["streamSid"]}
    # The callee's line carries 20 ms frames of silence when it says nothing.
    assert server.frame_sizes == {FRAME_BYTES}
    # The prompt's mark comes back once its 25 frames (0.5 s) have played, not on arrival:
    # meanwhile the callee's own line has sent about as many frames.
    assert server.frames_before[2] >= 15


def test_a_clear_drops_the_buffered_audio_and_sends_back_its_marks() -> None:
    async def act(server: ServerSide, callee: Callee) -> None:
        await server.say(1500, "long")  # 30 s of audio
        await server.send({"event": "clear"})
        await server.wait_for(lambda got: "mark:long" in got.seen)
        await server.say(1, "after")
        await server.wait_for(lambda got: "mark:after" in got.seen)
        callee.done.set()  # the carrier is told to hang up

    outcome, server = call([], act)

    assert outcome == StreamOutcome(StreamEnd.HUNG_UP)
    assert server.seen == ["connected", "start", "mark:long", "mark:after", "stop"]
    # Both marks came back long before 30 s of playback (1,500 of the callee's frames).
    assert server.frames_before[3] < 500


def test_a_redirect_through_the_rest_side_stops_the_stream_with_the_url_to_fetch() -> None:
    async def act(server: ServerSide, callee: Callee) -> None:
        callee.redirect_to.put_nowait("http://127.0.0.1/voice/webhook?event=resume")

    outcome, server = call([Wait(30)], act)

    assert outcome == StreamOutcome(StreamEnd.REDIRECTED, "http://127.0.0.1/voice/webhook?event=resume")
    assert server.seen[-1] == "stop"


def test_when_the_server_closes_the_socket_the_document_goes_on_without_stop() -> None:
    async def act(server: ServerSide, callee: Callee) -> None:
        assert server.connection is not None
        await server.connection.close()

    outcome, server = call([Wait(30)], act)

    assert outcome == StreamOutcome(StreamEnd.CLOSED)
    assert server.seen == ["connected", "start"]


def test_a_stream_that_does_not_open_is_reported_and_the_document_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"ws://127.0.0.1:{free_port()}/voice/stream"

    async def run() -> StreamOutcome:
        return await stream_callee(Callee(), _stream(url), EspeakSynthesizer())

    with caplog.at_level(logging.WARNING, logger="callflow.mock"):
        outcome = asyncio.run(run())

    assert outcome == StreamOutcome(StreamEnd.CLOSED)
    assert f"mock call MOCK-1: the media stream at {url} did not open: " in caplog.text


@pytest.mark.parametrize(
    ("sent", "found"),
    [
        ("not json", "JSONDecodeError"),
        ('{"event": "media", "media": {}}', "KeyError('payload')"),
        ('{"event": "media", "media": {"payload": "%%%"}}', "Only base64 data is allowed"),
    ],
)
def test_a_message_that_is_not_the_protocols_ends_the_stream_saying_what_it_was(
    caplog: pytest.LogCaptureFixture, sent: str, found: str
) -> None:
    async def act(server: ServerSide, callee: Callee) -> None:
        assert server.connection is not None
        await server.connection.send(sent)

    with caplog.at_level(logging.WARNING, logger="callflow.mock"):
        outcome, server = call([Wait(30)], act)

    assert outcome == StreamOutcome(StreamEnd.CLOSED)
    assert server.seen == ["connected", "start"]
    assert "mock call MOCK-1: the server sent a message that is not the protocol's: " in caplog.text
    assert found in caplog.text
    assert "the stream is closed" in caplog.text
