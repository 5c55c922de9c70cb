"""A Twilio stand-in carrier in a process of its own, for bench/campaign_calls.py.

    .venv/bin/python bench/carrier_stand_in.py --port PORT --account-sid SID --auth-token TOKEN

It answers what runner/providers/twilio.py sends to place a call, ``POST
/2010-04-01/Accounts/{SID}/Calls.json`` (form: To, From, Url, StatusCallback, ...; HTTP
basic auth), at once with a new call sid, and then plays the call as the mock carrier
plays an answered one (runner/providers/mock.py ``_run``): the status callback
``ringing``, the answer webhook with CallStatus ``in-progress``, the TwiML followed (Say,
Play, Redirect, Hangup; a notify flow has no Gather, and one here counts as a failure),
then the status callback ``completed``. Every request carries the mock's fields and is
signed with X-Twilio-Signature as the mock signs it, with TOKEN; each call's webhooks
share one kept-alive connection, as the mock's do (bench/kept_alive.py, not an httpx
client: that would cost the carrier as much CPU a call as the server).

``GET /healthz`` says it is up; ``GET /stats`` gives JSON counts (calls placed,
finished, failed, in flight, and the first failures' reasons), so the benchmark can
check every call was played in full and wait for the last one.

It runs on uvicorn with uvloop and httptools, the server's own stack, with a bare ASGI
app: the carrier's side must cost less than the server's, or the row would measure it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hmac
import json
import re
import sys
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from kept_alive import HTTPFailed, KeptAlive

from runner.providers.twilio import signature

#: The most documents one call fetches, as the mock: a guard against a redirect loop.
MAX_FETCHES = 500
#: How many failures' reasons /stats keeps.
REASONS_KEPT = 5

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class CallFailed(Exception):
    """A call could not be played to its end; the message says why."""


@dataclass
class Placed:
    sid: str
    to: str
    caller_id: str
    answer_url: str
    status_url: str


@dataclass
class Carrier:
    account_sid: str
    auth_token: str
    placed: int = 0
    finished: int = 0
    failed: int = 0
    reasons: list[str] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        basic = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        self.authorization = f"Basic {basic}".encode()
        self.calls_path = re.compile(rf"^/2010-04-01/Accounts/{re.escape(self.account_sid)}/Calls\.json$")

    def stats(self) -> dict[str, Any]:
        return {
            "placed": self.placed,
            "finished": self.finished,
            "failed": self.failed,
            "in_flight": len(self.tasks),
            "reasons": self.reasons,
        }

    def place(self, form: dict[str, str]) -> Placed:
        """The call the form asks for, played from now on; KeyError for a missing field."""
        call = Placed(f"CA{uuid.uuid4().hex}", form["To"], form["From"], form["Url"], form["StatusCallback"])
        self.placed += 1
        task = asyncio.create_task(self.play(call))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return call

    async def play(self, call: Placed) -> None:
        try:
            async with KeptAlive() as client:
                await self.post(client, call, call.status_url, "ringing", {})
                document = await self.post(client, call, call.answer_url, "in-progress", {})
                for _ in range(MAX_FETCHES):
                    url = next_url(document)
                    if url is None:
                        break
                    document = await self.post(client, call, url, "in-progress", {})
                await self.post(client, call, call.status_url, "completed", {})
            self.finished += 1
        except (CallFailed, HTTPFailed, ElementTree.ParseError) as error:
            self.failed += 1
            if len(self.reasons) < REASONS_KEPT:
                self.reasons.append(f"{call.sid}: {type(error).__name__}: {error}")

    async def post(
        self, client: KeptAlive, call: Placed, url: str, status: str, fields: dict[str, str]
    ) -> str:
        """POST the mock's fields to the server, signed; the answer's text."""
        form = {
            "CallSid": call.sid,
            "CallStatus": status,
            "From": call.caller_id,
            "To": call.to,
            "Direction": "outbound-api",
            **fields,
        }
        headers = {"X-Twilio-Signature": signature(self.auth_token, url, list(form.items()))}
        status_code, text = await client.post(url, form, headers)
        if status_code != 200:
            raise CallFailed(f"{url} answered {status_code}: {text[:200]}")
        return text

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        path, method = scope["path"], scope["method"]
        if method == "GET" and path == "/healthz":
            await answer(send, 200, b"ok", b"text/plain")
        elif method == "GET" and path == "/stats":
            await answer(send, 200, json.dumps(self.stats()).encode(), b"application/json")
        elif method == "POST" and self.calls_path.match(path):
            await self.calls(scope, receive, send)
        else:
            await answer(send, 404, b'{"message": "the stand-in plays only placed calls"}')

    async def calls(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        if not hmac.compare_digest(headers.get(b"authorization", b""), self.authorization):
            await answer(send, 401, b'{"message": "Authenticate"}')
            return
        form = dict(parse_qsl((await body(receive)).decode(), keep_blank_values=True))
        try:
            call = self.place(form)
        except KeyError as missing:
            await answer(send, 400, json.dumps({"message": f"missing {missing}"}).encode())
            return
        resource = {"sid": call.sid, "account_sid": self.account_sid, "to": call.to, "status": "queued"}
        await answer(send, 201, json.dumps(resource).encode())


def next_url(document: str) -> str | None:
    """The URL the document sends the call to next; None when the call ends with it."""
    for verb in ElementTree.fromstring(document):
        if verb.tag == "Redirect":
            return verb.text or ""
        if verb.tag in ("Hangup", "Reject"):
            return None
        if verb.tag == "Gather":
            raise CallFailed("a notify call met a <Gather>: the stand-in answers no questions")
    return None


async def body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def answer(send: Send, status: int, content: bytes, kind: bytes = b"application/json") -> None:
    headers = [(b"content-type", kind), (b"content-length", str(len(content)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--auth-token", required=True)
    args = parser.parse_args(argv)
    carrier = Carrier(args.account_sid, args.auth_token)
    config = uvicorn.Config(
        carrier,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
