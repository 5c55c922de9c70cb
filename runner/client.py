"""A client of the control API, for the ``callflow call|speak|continue|dtmf|end`` commands."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx


class ControlError(Exception):
    """The server answered a control request with an error; ``status`` is its HTTP status,
    ``payload`` the whole JSON answer (which may say more than the message)."""

    def __init__(self, status: int, message: str, payload: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.payload = payload or {}


class ServerUnreachable(Exception):
    """Nothing answers at the control API's address."""


class ControlClient:
    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def is_callflow(self) -> bool:
        """Whether a callflow server answers at this address (False: nothing, or another program)."""
        try:
            response = self._client.get("/healthz", timeout=2.0)
        except httpx.HTTPError:
            return False
        try:
            return response.status_code == 200 and response.json().get("service") == "callflow"
        except ValueError:
            return False

    def initiate(
        self, flow: str, variables: dict[str, str], to: str | None = None, inputs: list[str] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"flow": flow, "vars": variables, "inputs": inputs or []}
        if to is not None:
            body["to"] = to
        return self._request("POST", "/api/calls", body)

    def initiate_message(
        self,
        to: str,
        message: str,
        mode: str = "notify",
        dtmf_sequence: str | None = None,
        inputs: list[str] | None = None,
    ) -> dict[str, Any]:
        """Place a call without a flow file: one of the server's built-in flows says ``message``
        (and in a conversation, the agent goes on); the server checks the parts."""
        body: dict[str, Any] = {"to": to, "message": message, "mode": mode, "inputs": inputs or []}
        if dtmf_sequence is not None:
            body["dtmf_sequence"] = dtmf_sequence
        return self._request("POST", "/api/calls", body)

    def status(self, call_id: str) -> dict[str, Any]:
        return self._request("GET", f"/api/calls/{call_id}")

    def speak(self, call_id: str, text: str) -> dict[str, Any]:
        return self._request("POST", f"/api/calls/{call_id}/speak", {"text": text})

    def continue_call(self, call_id: str, text: str, timeout: float) -> dict[str, Any]:
        return self._request(
            "POST", f"/api/calls/{call_id}/continue", {"text": text, "timeout": timeout}, wait=timeout
        )

    def dtmf(self, call_id: str, digits: str) -> dict[str, Any]:
        return self._request("POST", f"/api/calls/{call_id}/dtmf", {"digits": digits})

    def end(self, call_id: str) -> dict[str, Any]:
        return self._request("POST", f"/api/calls/{call_id}/end")

    def wait(self, call_id: str, timeout: float) -> dict[str, Any]:
        return self._request("POST", f"/api/calls/{call_id}/wait", {"timeout": timeout}, wait=timeout)

    def launch_campaign(self, body: dict[str, Any]) -> dict[str, Any]:
        # Checking a large recipients file takes the server a while.
        return self._request("POST", "/api/campaigns", body, wait=600.0)

    def campaign(self, name: str) -> dict[str, Any]:
        return self._request("GET", f"/api/campaigns/{quote(name, safe='')}")

    def stop_campaign(self, name: str) -> dict[str, Any]:
        return self._request("POST", f"/api/campaigns/{quote(name, safe='')}/stop")

    def campaign_report(self, name: str) -> str:
        """The campaign's report, as CSV text."""
        path = f"/api/campaigns/{quote(name, safe='')}/report"
        try:
            response = self._client.get(path, timeout=600.0)
        except httpx.HTTPError as error:
            raise ServerUnreachable(f"no callflow server answers at {self.base_url}: {error}") from None
        if response.status_code >= 400:
            raise ControlError(response.status_code, response.text)
        return response.text

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, wait: float = 0.0
    ) -> dict[str, Any]:
        try:
            response = self._client.request(method, path, json=body, timeout=wait + 30.0)
        except httpx.HTTPError as error:
            raise ServerUnreachable(f"no callflow server answers at {self.base_url}: {error}") from None
        try:
            payload = response.json()
        except ValueError:
            payload = {"error": response.text}
        if response.status_code >= 400:
            details = payload if isinstance(payload, dict) else {}
            raise ControlError(response.status_code, str(details.get("error", response.text)), details)
        if not isinstance(payload, dict):
            raise ControlError(response.status_code, "the server's answer is not a JSON object")
        return payload
