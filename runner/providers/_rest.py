"""One carrier's REST API over httpx: its errors as ProviderErrors, never a credential in them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

import httpx

from runner.providers._errors import ProviderAPIError, ProviderUnreachable

TIMEOUT = httpx.Timeout(10.0)
#: How much of an error body without the carrier's own message goes into ours.
DETAIL_MAX = 500


class CarrierAPI:
    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        secrets: tuple[str, ...],
        message_of: Callable[[Any], str | None],
        client: httpx.AsyncClient | None = None,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """``message_of`` finds the carrier's own error message in a parsed JSON answer."""
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self._secrets = secrets
        self._message_of = message_of
        self._auth = auth
        self._headers = dict(headers or {})
        self._owns_client = client is None
        self._client = httpx.AsyncClient(timeout=TIMEOUT) if client is None else client

    async def call(
        self,
        method: str,
        url: str,
        *,
        form: Mapping[str, str | list[str]] | None = None,
        json: Any = None,
        ok: Collection[int] = (),
    ) -> httpx.Response:
        """Send one request; ProviderUnreachable without an answer, ProviderAPIError for an
        error status not in ``ok``."""
        try:
            response = await self._client.request(
                method,
                url,
                data=form,
                json=json,
                auth=self._auth or httpx.USE_CLIENT_DEFAULT,
                headers=self._headers,
            )
        except httpx.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            raise ProviderUnreachable(self.provider, f"no answer from {self.base_url}: {reason}") from exc
        if response.is_error and response.status_code not in ok:
            raise ProviderAPIError(self.provider, response.status_code, self._detail(response))
        return response

    def _detail(self, response: httpx.Response) -> str:
        """The carrier's own message, else the start of the body; never a credential."""
        try:
            message = self._message_of(response.json())
        except (ValueError, LookupError, TypeError, AttributeError):
            message = None
        if not message:
            message = response.text.strip()[:DETAIL_MAX] or response.reason_phrase
        for secret in self._secrets:
            message = message.replace(secret, "[redacted]")
        return message

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()
