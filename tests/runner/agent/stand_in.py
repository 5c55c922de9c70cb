"""A real HTTP server on 127.0.0.1 standing in for a chat-completions API (OpenAI's shape).

It records every request and answers each with the next canned answer a test queued: a
reply, a streamed reply, a stall (held until the server closes, past any timeout), an
HTTP error, or a list of models. With none queued it answers 500, so a test that forgot
one fails loudly rather than hanging.
"""

from __future__ import annotations

import json
import select
import socket
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

# A request as the carriers' stand-in records it: the same for this one.
from tests.runner.providers.carrier_server import Recorded

#: The API key the tests configure; a test asserts it never shows in a message.
API_KEY = "sk-test-SECRET-4242"


@dataclass(frozen=True)
class _Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    #: Server-sent events, written one by one; None for a whole body.
    events: tuple[str, ...] | None = None
    stall: bool = False
    #: Held until the test sets it (or the client goes away, which ``cut`` records).
    gate: threading.Event | None = None


def completion(
    content: str | None,
    *,
    reasoning: str | None = None,
    reasoning_field: str = "reasoning_content",
    tool_calls: Sequence[tuple[str, dict[str, Any]]] = (),
    finish_reason: str = "stop",
) -> dict[str, Any]:
    """A whole chat completion, as an OpenAI-compatible server sends it."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning is not None:
        message[reasoning_field] = reasoning
    if tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{index}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            for index, (name, args) in enumerate(tool_calls)
        ]
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "stand-in",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
    }


class AgentStandIn:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        #: Set once a client gave up on a gated answer (it closed the connection first).
        self.cut = threading.Event()
        self._answers: deque[_Answer] = deque()
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # A short poll, so that closing the server at the end of each test is quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL, as the config's agent.base_url takes it."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def reply(self, content: str | None, **details: Any) -> None:
        """Queue a whole completion; ``details`` as ``completion`` takes them."""
        self.answer_json(completion(content, **details))

    def answer_json(self, body: Any, status: int = 200) -> None:
        self._queue(_Answer(status, json.dumps(body).encode()))

    def answer_text(self, text: str, status: int = 200, content_type: str = "text/plain") -> None:
        self._queue(_Answer(status, text.encode(), content_type))

    def stream(self, chunks: Sequence[dict[str, Any]]) -> None:
        """Queue a streamed completion: each of ``chunks`` is one delta, then ``[DONE]``."""
        events = [
            json.dumps({"object": "chat.completion.chunk", "choices": [{"index": 0, **chunk}]})
            for chunk in chunks
        ]
        self._queue(_Answer(content_type="text/event-stream", events=(*events, "[DONE]")))

    def reply_when(self, gate: threading.Event, content: str | None) -> None:
        """Queue a whole completion sent only once ``gate`` is set: an agent exactly as slow
        as the test wants. A client that gives up first is counted in ``cut``."""
        self._queue(_Answer(body=json.dumps(completion(content)).encode(), gate=gate))

    def stall(self) -> None:
        """Queue an answer that never comes: the request is held until the server closes."""
        self._queue(_Answer(stall=True))

    def models(self, *ids: str) -> None:
        """Queue the answer to GET /models."""
        self.answer_json({"object": "list", "data": [{"id": id, "object": "model"} for id in ids]})

    def __enter__(self) -> AgentStandIn:
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
        return _Answer(500, b'{"error": {"message": "the test queued no answer"}}')

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                answer = stand_in._next_answer(Recorded(self.command, self.path, headers, body))
                if answer.stall:
                    stand_in._released.wait()
                    return
                if answer.gate is not None and not self._held(answer.gate):
                    stand_in.cut.set()
                    return
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                if answer.events is None:
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                    return
                # HTTP/1.0: the stream ends when the connection closes.
                self.end_headers()
                for event in answer.events:
                    self.wfile.write(f"data: {event}\n\n".encode())
                    self.wfile.flush()

            def _held(self, gate: threading.Event) -> bool:
                """Wait for ``gate``: False when the client closes the connection first."""
                while not gate.wait(0.01):
                    if stand_in._released.is_set():
                        return False
                    readable, _, _ = select.select([self.connection], [], [], 0)
                    if readable and not self.connection.recv(1, socket.MSG_PEEK):
                        return False
                return True

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the recorded requests are the log."""

        return Handler
