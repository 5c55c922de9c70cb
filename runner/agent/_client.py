"""The agent client: one chat completion per turn, from any OpenAI-compatible endpoint.

The requests go through aiohttp rather than httpx: for the small JSON POST of a consult
turn it spends a tenth of httpx's CPU at 32 requests in flight (bench/http_clients.py),
and that request was most of what a consult turn added to a turn (bench/consult_turns.py).
"""

from __future__ import annotations

import asyncio
import codecs
import json
import re
import urllib.request
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import aiohttp
import httpx

from runner.agent._completion import StreamedReply, reply_from_completion
from runner.agent._errors import AgentError, AgentStatusError, AgentTimeout
from runner.agent._reply import ChatMessage, ModelReply, ToolSpec
from runner.agent._spoken import with_contract
from runner.config import AgentSettings

_EXCERPT = 200
_MASK = "***"
# The three line ends of an event stream (and of httpx's aiter_lines, which read it before).
_LINE_END = re.compile(r"\r\n|\r|\n")


class AgentPool:
    """The connections to one agent server. The aiohttp session behind it is made on
    first use, inside the event loop that uses it (a session belongs to one loop), so a
    pool may be made before any loop runs."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self.proxy, self.proxy_auth = _environment_proxy(base_url)

    @property
    def is_closed(self) -> bool:
        return self._closed

    def session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the agent's connection pool is closed")
        if self._session is None:
            secure = urlsplit(self._base_url).scheme == "https"
            # httpx's trust store (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), kept so that a
            # hosted API is trusted exactly as before, on a machine without system CAs too.
            connector = aiohttp.TCPConnector(limit=100, ssl=httpx.create_ssl_context() if secure else True)
            # The one bound on a request is the client's own (asyncio.timeout), not aiohttp's 300 s.
            timeout = aiohttp.ClientTimeout(total=None)
            self._session = aiohttp.ClientSession(connector=connector, timeout=timeout)
        return self._session

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()


class AgentPools:
    """One connection pool per server, shared by every agent client of the process that
    talks to it; ``aclose`` closes them all."""

    def __init__(self) -> None:
        self._pools: dict[str, AgentPool] = {}

    def client_for(self, base_url: str) -> AgentPool:
        key = base_url.rstrip("/")
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = AgentPool(key)
        return pool

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


class AgentClient:
    """Asks the agent of ``settings``; a consult step may override model, system prompt
    and timeout per call. The API key goes only into the Authorization header: no
    message of this client holds it."""

    def __init__(self, settings: AgentSettings, pools: AgentPools) -> None:
        self._settings = settings
        self._base = settings.base_url.rstrip("/")
        self._pool = pools.client_for(settings.base_url)
        parts = urlsplit(self._base)
        # A user and password in the URL are sent as Basic credentials in place of the
        # key, as httpx sent them (aiohttp refuses both at once).
        self._url_has_credentials = parts.username is not None or parts.password is not None

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] = (),
        stream: bool = False,
        model: str | None = None,
        system_prompt: str | None = None,
        timeout: float | None = None,
        max_tokens: int | None = None,
    ) -> ModelReply:
        """The model's reply to ``messages``, after the system prompt with the output
        contract appended. Raises AgentTimeout past the timeout, AgentStatusError for an
        HTTP error, AgentError when the server cannot be reached or answers no completion."""
        settings = self._settings
        prompt = with_contract(settings.system_prompt if system_prompt is None else system_prompt)
        body: dict[str, Any] = {
            "model": model or settings.model,
            "messages": [{"role": "system", "content": prompt}, *messages],
            "max_tokens": settings.max_tokens if max_tokens is None else max_tokens,
            "temperature": settings.temperature,
            "stream": stream,
        }
        if tools:
            body["tools"] = [tool.as_api() for tool in tools]
        seconds = settings.timeout if timeout is None else timeout
        url = f"{self._base}/chat/completions"
        # The bytes httpx sent for json=: compact, UTF-8, no NaN.
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        headers = {**self._headers(), "Content-Type": "application/json"}
        async with self._errors(url, seconds), self._request("POST", url, headers, data) as response:
            is_events = "text/event-stream" in response.headers.get("Content-Type", "")
            if not stream or response.status >= 400 or not is_events:
                # Whole; or streamed but an error, or a server that ignores "stream".
                return reply_from_completion(self._json(url, response, await response.read()))
            streamed = StreamedReply()
            async for line in _lines(response.content):
                if not line.startswith("data:"):
                    continue
                payload = line.removeprefix("data:").strip()
                if payload == "[DONE]":
                    break
                try:
                    chunk = json.loads(payload)
                except ValueError:
                    raise AgentError(f"the agent at {_shown(url)} streamed a chunk not in JSON") from None
                streamed.add(chunk)
            return streamed.reply()

    async def check(self) -> str:
        """One line saying the endpoint answers and with which model, for ``callflow setup``:
        from its list of models, else from a one-token completion. Raises AgentError when
        it does not answer."""
        model, shown = self._settings.model, _shown(self._base)
        listed = await self._listed_models()
        if listed is not None and model in listed:
            return f"{shown} answers and lists model {model}"
        try:
            await self.complete([{"role": "user", "content": "Say OK."}], max_tokens=1)
        except AgentStatusError as error:
            if listed is None:
                raise
            names = ", ".join(listed[:5]) + (", ..." if len(listed) > 5 else "")
            reason = f"{error.reason}; model {model} is not among those {shown} lists ({names})"
            raise AgentError(reason) from None
        how = "its model list does not name it" if listed is not None else "it lists no models"
        return f"{shown} answers a one-token completion with model {model} ({how})"

    async def _listed_models(self) -> list[str] | None:
        """The model ids of GET /models; None when the server lists none."""
        url = f"{self._base}/models"
        async with (
            self._errors(url, self._settings.timeout),
            self._request("GET", url, self._headers()) as response,
        ):
            status, body = response.status, await response.read()
        try:
            data = json.loads(body).get("data") if status < 400 else None
        except (ValueError, AttributeError):
            return None
        if not isinstance(data, list):
            return None
        return [str(item["id"]) for item in data if isinstance(item, dict) and "id" in item]

    @asynccontextmanager
    async def _request(
        self, method: str, url: str, headers: dict[str, str], data: bytes | None = None
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        pool = self._pool
        async with pool.session().request(
            method,
            url,
            data=data,
            headers=headers,
            # httpx followed no redirect: the key is never carried to another place.
            allow_redirects=False,
            proxy=pool.proxy,
            proxy_auth=pool.proxy_auth,
        ) as response:
            yield response

    def _json(self, url: str, response: aiohttp.ClientResponse, body: bytes) -> Any:
        if response.status >= 400:
            raise AgentStatusError(_shown(url), response.status, self._excerpt(_text(body, response.charset)))
        try:
            return json.loads(body)
        except ValueError:
            excerpt = self._excerpt(_text(body, response.charset))
            raise AgentError(f"the agent at {_shown(url)} answered text, not JSON: {excerpt}") from None

    @asynccontextmanager
    async def _errors(self, url: str, seconds: float) -> AsyncIterator[None]:
        """Bound the block by ``seconds`` in all, and turn what goes wrong into the agent's
        errors, with the key masked."""
        try:
            async with asyncio.timeout(seconds):
                yield
        except TimeoutError:
            raise AgentTimeout(_shown(url), seconds) from None
        except aiohttp.ClientError as error:
            reason = self._masked(str(error) or type(error).__name__)
            raise AgentError(f"the agent at {_shown(url)} cannot be reached: {reason}") from None
        except AgentStatusError:
            raise
        except AgentError as error:
            raise AgentError(self._masked(error.reason)) from None

    def _headers(self) -> dict[str, str]:
        key = self._settings.api_key
        if key is None or self._url_has_credentials:
            return {}
        return {"Authorization": f"Bearer {key.reveal()}"}

    def _excerpt(self, text: str) -> str:
        # Masked before it is cut, so no part of the key is left standing at the cut.
        collapsed = self._masked(" ".join(text.split()))
        return collapsed[:_EXCERPT] + ("..." if len(collapsed) > _EXCERPT else "")

    def _masked(self, text: str) -> str:
        key = self._settings.api_key
        return text.replace(key.reveal(), _MASK) if key is not None and key.reveal() else text


async def _lines(content: aiohttp.StreamReader) -> AsyncIterator[str]:
    """The lines of an event stream however its chunks fall; a "\\r" that ends a chunk
    waits for the next one, which may start with the "\\n" of the same line end."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    async for chunk in content.iter_any():
        text = pending + decoder.decode(chunk)
        held = "\r" if text.endswith("\r") else ""
        *lines, pending = _LINE_END.split(text.removesuffix(held))
        pending += held
        for line in lines:
            yield line
    rest = (pending + decoder.decode(b"", final=True)).removesuffix("\r")
    if rest:
        yield rest


def _text(body: bytes, charset: str | None) -> str:
    """``body`` as text, as httpx read it: its charset, else UTF-8, never an error."""
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _environment_proxy(url: str) -> tuple[str | None, aiohttp.BasicAuth | None]:
    """The proxy the environment names for ``url`` (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY,
    NO_PROXY), as httpx honoured them; looked up once per pool, not once per request."""
    parts = urlsplit(url)
    if urllib.request.proxy_bypass(parts.hostname or ""):
        return None, None
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy:
        return None, None
    proxy_parts = urlsplit(proxy)
    if proxy_parts.username is None:
        return proxy, None
    auth = aiohttp.BasicAuth(unquote(proxy_parts.username), unquote(proxy_parts.password or ""))
    return _shown(proxy), auth


def _shown(url: str) -> str:
    """``url`` without user and password, which may hold a credential."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))
