"""A real HTTP server on 127.0.0.1 standing in for a carrier's REST API.

It records every request (method, path with query, headers, body) and answers each with
the next canned answer a test queued; with none queued it answers 500, so a test that
forgot one fails loudly rather than hanging.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qs

from runner.providers import OutboundCall, Provider


@dataclass(frozen=True)
class Recorded:
    method: str
    #: The path with its query, as sent.
    path: str
    #: Header names in lower case.
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode(), keep_blank_values=True, strict_parsing=bool(self.body))

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    content_type: str


class CarrierServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._answers: deque[_Answer] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # A short poll, so that closing the server at the end of each test is quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, status: int = 200, json_body: Any = None, *, text: str | None = None) -> None:
        """Queue the answer to the next request: JSON, plain text, or an empty body."""
        if text is not None:
            answer = _Answer(status, text.encode(), "text/plain")
        elif json_body is not None:
            answer = _Answer(status, json.dumps(json_body).encode(), "application/json")
        else:
            answer = _Answer(status, b"", "application/json")
        with self._lock:
            self._answers.append(answer)

    def __enter__(self) -> CarrierServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _next_answer(self, recorded: Recorded) -> _Answer:
        with self._lock:
            self.requests.append(recorded)
            if self._answers:
                return self._answers.popleft()
        return _Answer(500, b'{"message": "the test queued no answer"}', "application/json")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                answer = server._next_answer(Recorded(self.command, self.path, headers, body))
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the recorded requests are the log."""

        return Handler


@contextmanager
def refusing_port() -> Iterator[int]:
    """A port on 127.0.0.1 where connections are refused: bound, held, never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


#: The outbound call every carrier test places, and the webhook it names.
WEBHOOK = "https://calls.example.com/voice/webhook?call=c1"
CALL = OutboundCall(
    to="+14155550100",
    caller_id="+14155550199",
    answer_url=WEBHOOK,
    status_url=WEBHOOK + "&kind=status",
    ring_timeout=25,
)


P = TypeVar("P", bound=Provider)
T = TypeVar("T")


def run_provider(make: Callable[[], P], action: Callable[[P], Awaitable[T]]) -> T:
    """Run ``action`` on a provider made inside the event loop, closing it afterwards."""

    async def go() -> T:
        provider = make()
        try:
            return await action(provider)
        finally:
            await provider.aclose()

    return asyncio.run(go())
