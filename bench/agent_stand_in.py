"""A chat-completions endpoint that answers at once, for bench/consult_turns.py.

    .venv/bin/python bench/agent_stand_in.py PORT

Every POST to /v1/chat/completions is answered with the same completion, whose content
is ``{"spoken": "Sure."}``; GET /v1/models with a list of one model (the
bench's readiness probe); any other request with 404. It runs in a process of its own,
so the CPU it spends is not the server's, on a bare asyncio server (on uvloop where it
is installed) reading HTTP/1.1 by hand: a framework would cost more than the answer.
The request body is read and thrown away unparsed: the bench measures callflow, not a
model.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys

COMPLETIONS_PATH = "/v1/chat/completions"
SPOKEN = "Sure."
_BODY = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "model": "stand-in",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": json.dumps({"spoken": SPOKEN})},
                "finish_reason": "stop",
            }
        ],
    }
).encode()
_ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {len(_BODY)}\r\n\r\n".encode()
    + _BODY
)
_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
MODELS_PATH = "/v1/models"
_MODELS_BODY = b'{"object": "list", "data": [{"id": "stand-in", "object": "model"}]}'
_MODELS = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {len(_MODELS_BODY)}\r\n\r\n".encode()
    + _MODELS_BODY
)


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, _, headers = head.decode("latin-1").partition("\r\n")
            length = 0
            for line in headers.split("\r\n"):
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            method, target = request_line.split(" ", 2)[:2]
            path = target.split("?", 1)[0]
            if method == "POST" and path == COMPLETIONS_PATH:
                writer.write(_ANSWER)
            else:
                writer.write(_MODELS if method == "GET" and path == MODELS_PATH else _NOT_FOUND)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve(port: int) -> None:
    server = await asyncio.start_server(_serve_connection, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: agent_stand_in.py PORT", file=sys.stderr)
        return 2
    if importlib.util.find_spec("uvloop") is not None:
        import uvloop

        uvloop.run(_serve(int(argv[0])))
    else:
        asyncio.run(_serve(int(argv[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
