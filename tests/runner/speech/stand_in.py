"""A real HTTP server on 127.0.0.1 standing in for a hosted speech API (OpenAI's,
ElevenLabs').

It records every request and answers each with the next canned answer a test queued:
audio sent in pieces as a stream (HTTP/1.0: the body ends when the connection closes),
an HTTP error, or a stall after some of the audio (held until the server closes, past
any timeout). With none queued it answers 500, so a test that forgot one fails loudly.
"""

from __future__ import annotations

import select
import socket
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from tests.runner.providers.carrier_server import Recorded

#: The API key the tests configure; a test asserts it never shows in a message.
API_KEY = "sk-test-SPEECH-SECRET-7373"


@dataclass(frozen=True)
class _Answer:
    status: int = 200
    pieces: tuple[bytes, ...] = ()
    content_type: str = "application/octet-stream"
    #: Hold the connection open after the pieces, sending nothing more.
    stall: bool = False


class SpeechStandIn:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        #: Set once a client closed the connection of a stalled answer.
        self.cut = threading.Event()
        self._answers: deque[_Answer] = deque()
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def audio(self, pieces: Sequence[bytes], *, stall: bool = False) -> None:
        """Queue audio sent as ``pieces``, each written and flushed on its own; with
        ``stall``, the connection is then held open instead of closed."""
        self._queue(_Answer(pieces=tuple(pieces), stall=stall))

    def error(self, status: int, body: str) -> None:
        self._queue(_Answer(status, (body.encode(),), "application/json"))

    def __enter__(self) -> SpeechStandIn:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _queue(self, answer: _Answer) -> None:
        with self._lock:
            self._answers.append(answer)

    def _next_answer(self, recorded: Recorded) -> _Answer:
        with self._lock:
            self.requests.append(recorded)
            if self._answers:
                return self._answers.popleft()
        return _Answer(500, (b'{"error": "the test queued no answer"}',), "application/json")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                answer = stand_in._next_answer(Recorded(self.command, self.path, headers, body))
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.end_headers()
                try:
                    for piece in answer.pieces:
                        self.wfile.write(piece)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return
                if answer.stall:
                    self._hold()

            def _hold(self) -> None:
                """Send nothing more until the server closes; a client that goes away first
                is counted in ``cut``."""
                while not stand_in._released.wait(0.01):
                    readable, _, _ = select.select([self.connection], [], [], 0)
                    if readable and not self.connection.recv(1, socket.MSG_PEEK):
                        stand_in.cut.set()
                        return

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the recorded requests are the log."""

        return Handler
