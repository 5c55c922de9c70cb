"""One kept-alive HTTP/1.1 connection that posts forms, one request after the other.

bench/carrier_stand_in.py plays each call's webhooks over one of these, as the mock
carrier plays them over one kept-alive httpx connection a call. An httpx client costs
the stand-in about as much CPU a call as the server spends on it (7 ms), which would
make the carrier the bottleneck long before the server; this costs a fraction of that.
It reads only what the server under test sends: plain ``http://``, answers with a
Content-Length.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from types import TracebackType
from urllib.parse import urlencode, urlsplit

#: Longest wait for a connection or an answer, as the mock's httpx timeout.
TIMEOUT = 30.0


class HTTPFailed(Exception):
    """No usable answer: the connection failed, or the answer was not one this reads."""


class KeptAlive:
    def __init__(self) -> None:
        self._address: tuple[str, int] | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> KeptAlive:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def post(self, url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> tuple[int, str]:
        """POST ``form`` to ``url``; the answer's status and text."""
        try:
            return await asyncio.wait_for(self._post(url, form, headers), TIMEOUT)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError) as error:
            self.close()
            raise HTTPFailed(f"POST {url}: {type(error).__name__}: {error}") from None

    async def _post(self, url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> tuple[int, str]:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None:
            raise HTTPFailed(f"only plain http:// is played, not {url}")
        address = (parts.hostname, parts.port or 80)
        if self._writer is None or address != self._address:
            self.close()
            self._reader, self._writer = await asyncio.open_connection(*address)
            self._address = address
        assert self._reader is not None
        body = urlencode(form).encode()
        target = parts.path + ("?" + parts.query if parts.query else "")
        head = [
            f"POST {target} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line, *header_lines = (
            (await self._reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        )
        answer = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            answer[name.strip().lower()] = value.strip()
        if "content-length" not in answer:
            raise HTTPFailed(f"POST {url}: the answer has no Content-Length ({status_line})")
        text = (await self._reader.readexactly(int(answer["content-length"]))).decode()
        if answer.get("connection", "").lower() == "close":
            self.close()
        return int(status_line.split(" ", 2)[1]), text
