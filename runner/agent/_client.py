"""The agent client: one chat completion per turn, from any OpenAI-compatible endpoint."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from runner.agent._completion import StreamedReply, reply_from_completion
from runner.agent._errors import AgentError, AgentStatusError, AgentTimeout
from runner.agent._reply import ChatMessage, ModelReply, ToolSpec
from runner.agent._spoken import with_contract
from runner.config import AgentSettings

_EXCERPT = 200
_MASK = "***"


class AgentPools:
    """One connection pool (an ``httpx.AsyncClient``) per server, shared by every agent
    client of the process that talks to it; ``aclose`` closes them all."""

    def __init__(self) -> None:
        self._clients: dict[str, httpx.AsyncClient] = {}

    def client_for(self, base_url: str) -> httpx.AsyncClient:
        key = base_url.rstrip("/")
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = httpx.AsyncClient()
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


class AgentClient:
    """Asks the agent of ``settings``; a consult step may override model, system prompt
    and timeout per call. The API key goes only into the Authorization header: no
    message of this client holds it."""

    def __init__(self, settings: AgentSettings, pools: AgentPools) -> None:
        self._settings = settings
        self._base = settings.base_url.rstrip("/")
        self._http = pools.client_for(settings.base_url)

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
        async with self._errors(url, seconds):
            if stream:
                return await self._streamed(url, body, seconds)
            response = await self._http.post(url, json=body, headers=self._headers(), timeout=seconds)
            return reply_from_completion(self._json(url, response))

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
        seconds = self._settings.timeout
        async with self._errors(url, seconds):
            response = await self._http.get(url, headers=self._headers(), timeout=seconds)
        try:
            data = response.json().get("data") if response.status_code < 400 else None
        except (ValueError, AttributeError):
            return None
        if not isinstance(data, list):
            return None
        return [str(item["id"]) for item in data if isinstance(item, dict) and "id" in item]

    async def _streamed(self, url: str, body: dict[str, Any], seconds: float) -> ModelReply:
        request = self._http.build_request("POST", url, json=body, headers=self._headers(), timeout=seconds)
        response = await self._http.send(request, stream=True)
        try:
            is_events = "text/event-stream" in response.headers.get("content-type", "")
            if response.status_code >= 400 or not is_events:
                # An error, or a server that ignores "stream" and answers whole.
                await response.aread()
                return reply_from_completion(self._json(url, response))
            streamed = StreamedReply()
            async for line in response.aiter_lines():
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
        finally:
            await response.aclose()

    def _json(self, url: str, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise AgentStatusError(_shown(url), response.status_code, self._excerpt(response.text))
        try:
            return response.json()
        except ValueError:
            excerpt = self._excerpt(response.text)
            raise AgentError(f"the agent at {_shown(url)} answered text, not JSON: {excerpt}") from None

    @asynccontextmanager
    async def _errors(self, url: str, seconds: float) -> AsyncIterator[None]:
        """Bound the block by ``seconds`` in all (httpx's timeouts bound each read only), and
        turn what goes wrong into the agent's errors, with the key masked."""
        try:
            async with asyncio.timeout(seconds):
                yield
        except (TimeoutError, httpx.TimeoutException):
            raise AgentTimeout(_shown(url), seconds) from None
        except httpx.HTTPError as error:
            reason = self._masked(str(error) or type(error).__name__)
            raise AgentError(f"the agent at {_shown(url)} cannot be reached: {reason}") from None
        except AgentStatusError:
            raise
        except AgentError as error:
            raise AgentError(self._masked(error.reason)) from None

    def _headers(self) -> dict[str, str]:
        key = self._settings.api_key
        return {} if key is None else {"Authorization": f"Bearer {key.reveal()}"}

    def _excerpt(self, text: str) -> str:
        # Masked before it is cut, so no part of the key is left standing at the cut.
        collapsed = self._masked(" ".join(text.split()))
        return collapsed[:_EXCERPT] + ("..." if len(collapsed) > _EXCERPT else "")

    def _masked(self, text: str) -> str:
        key = self._settings.api_key
        return text.replace(key.reveal(), _MASK) if key is not None and key.reveal() else text


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
