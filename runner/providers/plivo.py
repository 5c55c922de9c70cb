"""Plivo: place and steer calls over its REST API, read its webhooks, check their signatures.

Endpoints, from the Voice API reference (https://www.plivo.com/docs/voice/api/call/) and
the official ``plivo`` SDK (``plivo/resources/calls.py``):

- place: ``POST /v1/Account/{auth_id}/Call/``, JSON, HTTP basic auth (auth id, auth token).
  The answer is ``{"message": "call fired", "request_uuid": ..., "api_id": ...}``: the id
  returned is the *request* uuid. Webhooks name the call by its ``CallUUID``, a different
  id that exists once the call does.
- hang up: ``DELETE /v1/Account/{auth_id}/Call/{call_uuid}/``; a 404 there may mean the id
  is a request uuid of a call not yet up, so ``DELETE .../Request/{request_uuid}/`` (cancel
  a queued or ringing call) is tried next. A 404 on both means the call is over.
- send digits: ``POST /v1/Account/{auth_id}/Call/{call_uuid}/DTMF/`` with ``{"digits": ...}``.
  The call's current document keeps running, so there is nothing to redirect to:
  ``resume_url`` is not used.
- redirect: "Transfer a call", ``POST /v1/Account/{auth_id}/Call/{call_uuid}/`` with
  ``{"legs": "aleg", "aleg_url": ..., "aleg_method": "POST"}``.

Webhook fields: "Call status" (https://www.plivo.com/docs/voice/xml/request/call-status/),
the ``<GetInput>`` action parameters ``InputType``, ``Digits``, ``Speech`` and
``SpeechConfidenceScore`` (https://www.plivo.com/docs/voice/xml/getinput/), and the machine
detection callback's ``Machine`` (https://www.plivo.com/docs/voice/api/call/machine-detection).
The V3 signature follows the SDK's ``plivo.utils.validate_v3_signature``, the tests' oracle.
"""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlparse

import httpx

from runner.providers._base import CarrierWebhook, OutboundCall, WebhookKind
from runner.providers._errors import ProviderAPIError, ProviderConfigError, WebhookFormatError
from runner.providers._fields import answered_by, confidence, is_machine, text
from runner.providers._hmac import keyed_hmac
from runner.providers._rest import CarrierAPI
from runner.types import EndReason

if TYPE_CHECKING:
    from runner.providers._base import Provider

API_BASE = "https://api.plivo.com"

# Unknown statuses are never terminal. "timeout" is documented as a failure to connect in
# time; for a call that rang out it is what arrives, and either way nobody answered.
_STATUSES: Mapping[str, tuple[str, EndReason | None]] = {
    "ringing": ("ringing", None),
    "in-progress": ("answered", None),
    "completed": ("ended", EndReason.COMPLETED),
    "busy": ("ended", EndReason.BUSY),
    "failed": ("ended", EndReason.FAILED),
    "timeout": ("ended", EndReason.NO_ANSWER),
    "no-answer": ("ended", EndReason.NO_ANSWER),
    "cancel": ("ended", EndReason.HANGUP_BOT),
}


class PlivoProvider:
    """Plivo's Voice API, driven with Plivo XML."""

    name = "plivo"
    dialect = "plivo"

    def __init__(
        self,
        auth_id: str | None,
        auth_token: str | None,
        *,
        api_base: str = API_BASE,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not auth_id:
            raise ProviderConfigError(self.name, "the setting plivo.auth_id is missing")
        if not auth_token:
            raise ProviderConfigError(self.name, "the setting plivo.auth_token is missing")
        basic = base64.b64encode(f"{auth_id}:{auth_token}".encode()).decode()
        self._api = CarrierAPI(
            self.name,
            api_base,
            secrets=(auth_token, basic),
            message_of=_error_message,
            client=client,
            auth=httpx.BasicAuth(auth_id, auth_token),
        )
        self._account_url = f"{self._api.base_url}/v1/Account/{quote(auth_id, safe='')}"

    async def place_call(self, call: OutboundCall) -> str:
        body: dict[str, Any] = {
            "from": call.caller_id,
            "to": call.to,
            "answer_url": call.answer_url,
            "answer_method": "POST",
            "hangup_url": call.status_url,
            "hangup_method": "POST",
            # Plivo reports ringing only to a ring_url.
            "ring_url": call.status_url,
            "ring_method": "POST",
            "ring_timeout": call.ring_timeout,
        }
        if call.machine_detection:
            # The result then comes to the status webhook as Machine=true|false.
            body["machine_detection"] = "true"
            body["machine_detection_url"] = call.status_url
            body["machine_detection_method"] = "POST"
        response = await self._request("POST", "/Call/", body=body)
        try:
            request_uuid = response.json().get("request_uuid")
        except (ValueError, AttributeError):
            request_uuid = None
        # A call to several numbers at once answers with a list; one number, one uuid.
        if isinstance(request_uuid, list) and len(request_uuid) == 1:
            request_uuid = request_uuid[0]
        if not isinstance(request_uuid, str) or not request_uuid:
            raise ProviderAPIError(self.name, response.status_code, "the answer names no request_uuid")
        return request_uuid

    async def hang_up(self, carrier_call_id: str) -> None:
        uuid = quote(carrier_call_id, safe="")
        response = await self._request("DELETE", f"/Call/{uuid}/", ok={404})
        if response.status_code == 404:
            await self._request("DELETE", f"/Request/{uuid}/", ok={404})

    async def send_digits(self, carrier_call_id: str, digits: str, resume_url: str) -> None:
        uuid = quote(carrier_call_id, safe="")
        await self._request("POST", f"/Call/{uuid}/DTMF/", body={"digits": digits})

    async def redirect(self, carrier_call_id: str, url: str) -> None:
        uuid = quote(carrier_call_id, safe="")
        body = {"legs": "aleg", "aleg_url": url, "aleg_method": "POST"}
        await self._request("POST", f"/Call/{uuid}/", body=body)

    def parse_webhook(self, params: Mapping[str, str], kind: WebhookKind) -> CarrierWebhook:
        call_uuid = text(params, "CallUUID")
        if call_uuid is None:
            raise WebhookFormatError(self.name, "CallUUID")
        inbound = text(params, "Direction") == "inbound"
        call_status = text(params, "CallStatus") or ""
        status, end_reason = _STATUSES.get(call_status, ("", None))
        if call_status == "cancel" and inbound:
            # "Canceled by the caller": on an inbound call that is the person who rang.
            end_reason = EndReason.HANGUP_USER
        detected = (text(params, "Machine") or "").lower()
        machine = detected == "true"
        said_by = {"true": "machine", "false": "human"}.get(detected)
        return CarrierWebhook(
            carrier_call_id=call_uuid,
            kind=kind,
            status=status,
            end_reason=end_reason,
            from_number=text(params, "From"),
            to_number=text(params, "To"),
            inbound=inbound,
            digits=text(params, "Digits"),
            speech=text(params, "Speech"),
            confidence=confidence(text(params, "SpeechConfidenceScore")),
            machine=machine or is_machine(text(params, "AnsweredBy")),
            answered_by=said_by or answered_by(text(params, "AnsweredBy")),
        )

    async def aclose(self) -> None:
        await self._api.aclose()

    async def _request(
        self, method: str, path: str, *, body: Any = None, ok: Collection[int] = ()
    ) -> httpx.Response:
        return await self._api.call(method, self._account_url + path, json=body, ok=ok)


def _error_message(answer: Any) -> str | None:
    """Plivo's own ``error``; validation errors come as an object of field: [messages]."""
    error = answer.get("error")
    if error and not isinstance(error, str):
        return json.dumps(error, separators=(",", ":"))
    return error if isinstance(error, str) else None


def signature_valid(
    auth_token: str, url: str, nonce: str, params: Sequence[tuple[str, str]], signature_header: str
) -> bool:
    """Whether the X-Plivo-Signature-V3 header signs this request (see ``verified_text``)."""
    return verified_text(auth_token, url, nonce, params, signature_header) is not None


def verified_text(
    auth_token: str, url: str, nonce: str, params: Sequence[tuple[str, str]], signature_header: str
) -> bytes | None:
    """The text the X-Plivo-Signature-V3 header signs, when it signs this request (its
    nonce header: ``nonce``); None when it does not.

    The signed text is ``scheme://host/path``; then, when there is a query or there are POST
    parameters, ``?`` and the query sorted as ``k=v`` joined by ``&``; then ``.`` when there
    are both; then the POST parameters sorted by name (equal names by value) as ``kv`` run
    together; then ``.`` and the nonce. The header may list several signatures separated by
    commas: any one may match. Hostile input gives None, never an exception. The text is
    the same for every way of sending one request (query and field order,
    percent-encoding), so the replay cache keys on it.
    """
    try:
        message = f"{_signed_url(url, params)}.{nonce}".encode()
        offered = [part.strip().encode("ascii") for part in signature_header.split(",")]
        mac = keyed_hmac(auth_token, "sha256").copy()
    except (UnicodeError, ValueError, TypeError):
        return None
    mac.update(message)
    expected = base64.b64encode(mac.digest())
    valid = False
    for candidate in offered:
        # No early exit: the time taken does not tell which signature matched.
        valid |= hmac.compare_digest(expected, candidate)
    return message if valid else None


def _signed_url(url: str, params: Sequence[tuple[str, str]]) -> str:
    # urlparse, as the SDK does: a ";params" part of the last path segment is not signed.
    parts = urlparse(url)
    signed = f"{parts.scheme}://{parts.netloc}{parts.path}"
    query = parse_qs(parts.query, keep_blank_values=True)
    query_text = "&".join(f"{name}={value}" for name in sorted(query) for value in sorted(query[name]))
    posted: dict[str, list[str]] = {}
    for name, value in params:
        posted.setdefault(name, []).append(value)
    if query_text or posted:
        signed += "?" + query_text
    if query_text and posted:
        signed += "."
    return signed + "".join(name + value for name in sorted(posted) for value in sorted(posted[name]))


if TYPE_CHECKING:
    # mypy checks here, not at the first caller, that the class satisfies the protocol.
    def _conforms(provider: PlivoProvider) -> Provider:
        return provider
