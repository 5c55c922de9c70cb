"""The voice webhook's request pipeline: only the carrier gets in, and only once.

In this order, cheapest refusal first:

1. POST only (405).
2. The carrier's signature headers are there before the body is read (401).
3. At most ``per_address`` requests in flight from one address (429); the table of
   addresses is bounded too.
4. The body is at most ``max_body`` bytes (413) and arrives within ``body_seconds`` (408).
5. The signature is checked over the public URL and the body (401); nothing about
   any call changes on a failure.
6. A request whose signed text (see ``SignatureCheck.verify``) was answered in the
   last ten minutes gets that answer again and has no effect: a carrier's retry is
   answered as the first request was, and a copy made by anyone else changes nothing.

The turn token of gather callbacks (a stale turn cannot answer a newer one) is the
engine's check, behind this pipeline.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

from runner.server._public_url import PublicUrl
from runner.server._replay import REPLAY_MAX_BYTES, ReplayCache
from runner.server._slots import AddressSlots

logger = logging.getLogger("callflow.server")


class SignatureCheck(Protocol):
    @property
    def headers(self) -> tuple[str, ...]:
        """Lower-case names of the headers every signed request carries."""
        ...

    def verify(
        self, url: str, headers: Mapping[str, str], body: bytes, params: list[tuple[str, str]]
    ) -> bytes | None:
        """The text the carrier's signature covers, the same for every copy of the request
        it accepts; None when the carrier did not sign it. Never raises on hostile input."""
        ...


@dataclass(frozen=True)
class GuardLimits:
    per_address: int = 8
    addresses: int = 4096
    max_body: int = 64 * 1024
    body_seconds: float = 5.0
    replay_max_bytes: int = REPLAY_MAX_BYTES


XML = "application/xml"


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    status: int
    body: str
    media_type: str = XML


def answer_size(answer: WebhookAnswer) -> int:
    """What an answer takes in memory: the object and its text (the media type is shared)."""
    return sys.getsizeof(answer) + sys.getsizeof(answer.body)


def pack_answer(answer: WebhookAnswer) -> bytes | None:
    """A document's text, for the replay cache to keep deflated; None for anything else."""
    return answer.body.encode() if answer.status == 200 and answer.media_type == XML else None


def unpack_answer(packed: bytes) -> WebhookAnswer:
    return WebhookAnswer(200, packed.decode())


def answer_cache(max_bytes: int = REPLAY_MAX_BYTES) -> ReplayCache[WebhookAnswer]:
    return ReplayCache(pack_answer, unpack_answer, answer_size, max_bytes=max_bytes)


Handler = Callable[[dict[str, str], dict[str, str]], Awaitable[WebhookAnswer]]


class _TooLarge(Exception):
    pass


class WebhookGuard:
    """A raw ASGI app: the pipeline above, then ``handler(query, params)``."""

    def __init__(
        self,
        handler: Handler,
        check: SignatureCheck | None,
        public_url: PublicUrl,
        *,
        limits: GuardLimits | None = None,
        replays: ReplayCache[WebhookAnswer] | None = None,
        on_refusal: Callable[[str], None] = lambda reason: None,
        on_repeat: Callable[[], None] = lambda: None,
    ) -> None:
        self.handler = handler
        self.check = check
        self.public_url = public_url
        self.limits = limits or GuardLimits()
        self.replays = replays or answer_cache(self.limits.replay_max_bytes)
        self.on_refusal = on_refusal
        self.on_repeat = on_repeat
        self._slots = AddressSlots(self.limits.per_address, addresses=self.limits.addresses)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await self._answer(scope, receive)
        body = answer.body.encode("utf-8")
        headers = [
            (b"content-type", f"{answer.media_type}; charset=utf-8".encode()),
            # With the length given, the answer goes out whole rather than chunked.
            (b"content-length", str(len(body)).encode()),
        ]
        if answer.status == 405:
            headers.append((b"allow", b"POST"))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _refuse(self, status: int, reason: str) -> WebhookAnswer:
        self.on_refusal(reason)
        return WebhookAnswer(status, reason, "text/plain")

    async def _answer(self, scope: Scope, receive: Receive) -> WebhookAnswer:
        if scope["method"] != "POST":
            return self._refuse(405, "the voice webhook takes POST only")
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
        }
        if self.check is not None and not all(headers.get(name) for name in self.check.headers):
            return self._refuse(401, "the carrier's signature headers are missing")
        client = scope.get("client")
        address = client[0] if client else ""
        if not self._slots.enter(address):
            return self._refuse(429, "too many requests in flight from this address")
        try:
            return await self._checked(scope, receive, headers, address)
        finally:
            self._slots.leave(address)

    async def _checked(
        self, scope: Scope, receive: Receive, headers: dict[str, str], address: str
    ) -> WebhookAnswer:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limits.max_body:
            return self._refuse(413, f"the body is over {self.limits.max_body} bytes")
        try:
            async with asyncio.timeout(self.limits.body_seconds):
                body = await self._body(receive)
        except TimeoutError:
            return self._refuse(408, f"the body did not arrive within {self.limits.body_seconds:g} s")
        except _TooLarge:
            return self._refuse(413, f"the body is over {self.limits.max_body} bytes")
        params = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        query_string = scope.get("query_string", b"").decode("latin-1")
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        if self.check is None:
            logger.warning("webhook signature verification is OFF: anyone can drive calls")
            return await self.handler(query, dict(params))
        url = self.public_url.url(scope.get("scheme", "http"), headers, address, scope["path"], query_string)
        if url is None:
            return self._refuse(400, "the Host header is not a valid host")
        signed = self.check.verify(url, headers, body, params)
        if signed is None:
            return self._refuse(401, "the signature does not match")
        key = ReplayCache.key(signed)
        answer, repeated = await self.replays.answer_once(key, lambda: self.handler(query, dict(params)))
        if repeated:
            self.on_repeat()
        return answer

    async def _body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise TimeoutError  # the client gave up mid-body: as good as never arriving
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limits.max_body:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
