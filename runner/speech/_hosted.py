"""What the hosted synthesizers share: one streamed POST, its failures as SpeechError.

The API key goes only into a request header. Every message is masked before it is cut,
so no part of the key is left standing at the cut: a service's error body may quote it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from runner.speech._interfaces import SpeechError

_EXCERPT = 200
_MASK = "***"


class HostedSpeech:
    """An HTTP speech service at ``base_url``: a connection pool of its own, closed by
    ``aclose``. ``timeout`` bounds connecting and each wait for more of the audio, not the
    whole of it: a long text may take longer to speak than any one pause should last."""

    def __init__(self, *, service: str, base_url: str, api_key: str, timeout: float) -> None:
        if not api_key:
            raise SpeechError(f"{service} needs an API key")
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise SpeechError(f"{service}'s base URL is http:// or https://, found {base_url!r}")
        self.service = service
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self._timeout = timeout
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout))

    async def post_streamed(
        self, path: str, *, headers: Mapping[str, str], body: Mapping[str, Any]
    ) -> AsyncGenerator[bytes, None]:
        """The body of the answer to a POST of ``body`` as JSON, piece by piece as it
        arrives. Raises SpeechError for an HTTP error, a timeout or no answer."""
        url = f"{self.base_url}{path}"
        try:
            async with self._http.stream("POST", url, headers=dict(headers), json=dict(body)) as response:
                if response.status_code >= 400:
                    await response.aread()
                    excerpt = self._excerpt(response.text)
                    raise SpeechError(
                        f"{self.service} answered {response.status_code} {response.reason_phrase}"
                        + (f": {excerpt}" if excerpt else "")
                    )
                async for piece in response.aiter_bytes():
                    yield piece
        except httpx.TimeoutException:
            raise SpeechError(
                f"{self.service} at {_shown(url)} did not answer within {self._timeout:g} s"
            ) from None
        except httpx.HTTPError as error:
            reason = self._masked(str(error) or type(error).__name__)
            raise SpeechError(f"{self.service} at {_shown(url)} cannot be reached: {reason}") from None

    async def aclose(self) -> None:
        await self._http.aclose()

    def _excerpt(self, text: str) -> str:
        collapsed = self._masked(" ".join(text.split()))
        return collapsed[:_EXCERPT] + ("..." if len(collapsed) > _EXCERPT else "")

    def _masked(self, text: str) -> str:
        return text.replace(self._key, _MASK)


def _shown(url: str) -> str:
    """``url`` without its query and any user or password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return f"{parts.scheme}://{netloc}{parts.path}"
