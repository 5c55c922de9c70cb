"""Telnyx: place and steer TeXML calls over its REST API, read its webhooks, check signatures.

Endpoints (https://developers.telnyx.com/api-reference/texml-rest-commands/), all with
``Authorization: Bearer <api key>`` and a JSON body:

- place: ``POST /v2/texml/calls/{connection_id}`` ("Create a connection-scoped TeXML call").
  Chosen over the account-scoped ``POST /v2/texml/Accounts/{account_sid}/Calls`` because
  its documented answer is a flat object carrying ``call_sid`` (the account-scoped one
  documents only from, to and status). The fields beyond From, To and Url
  (``UrlMethod``, ``StatusCallback*``, ``MachineDetection``) are those the official Python
  SDK sends to this path (``texml.calls.initiate``). Telnyx documents no ring timeout for
  TeXML calls, so ``OutboundCall.ring_timeout`` is not sent: the application's applies.
- hang up: "Update call", ``POST /v2/texml/Accounts/{account_sid}/Calls/{call_sid}``, with
  ``{"Status": "completed"}``; a 404 means the call is over. It replaces
  ``POST /v2/texml/calls/{call_sid}/update``, which Telnyx marks deprecated and its SDK no
  longer has. The reference lists a form body; the official SDK
  (``texml.accounts.calls.update``) sends these CamelCase keys as JSON, as here.
- send digits: the same update with ``{"Texml": ...}``: ``<Play digits>`` then ``<Redirect>``.
- redirect: the same update with ``{"Url": ..., "Method": "POST"}``.

Webhook fields are Twilio's (TeXML callbacks: https://developers.telnyx.com/api-reference/
callbacks/, e.g. "TeXML gather": ``Digits``, ``SpeechResult``, ``Confidence``). Signatures:
Ed25519 over ``"{telnyx-timestamp}|{raw body}"``, checked with the account's public key
(https://developers.telnyx.com/docs/development/api-fundamentals/webhooks; default
tolerance 300 s, as in the official SDKs).
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from runner.dialects import dtmf_then_redirect
from runner.providers._base import CarrierWebhook, OutboundCall, WebhookKind
from runner.providers._errors import ProviderAPIError, ProviderConfigError
from runner.providers._fields import twilio_style_webhook
from runner.providers._rest import CarrierAPI

if TYPE_CHECKING:
    from runner.providers._base import Provider

API_BASE = "https://api.telnyx.com"

# Telnyx takes several status callback events as one space-separated value.
_STATUS_EVENTS = "initiated ringing answered completed"
# Longer than any Unix time in seconds for the next few million years: refuse before int().
_TIMESTAMP_MAX_DIGITS = 12


class TelnyxProvider:
    """Telnyx's TeXML (Twilio-compatible) voice API."""

    name = "telnyx"
    dialect = "telnyx"

    def __init__(
        self,
        api_key: str | None,
        connection_id: str | None,
        account_sid: str | None,
        *,
        api_base: str = API_BASE,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not api_key:
            raise ProviderConfigError(self.name, "the setting telnyx.api_key is missing")
        if not connection_id:
            raise ProviderConfigError(self.name, "the setting telnyx.connection_id is missing")
        if not account_sid:
            raise ProviderConfigError(self.name, "the setting telnyx.account_sid is missing")
        self._api = CarrierAPI(
            self.name,
            api_base,
            secrets=(api_key,),
            message_of=_error_detail,
            client=client,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
        )
        self._place_url = f"{self._api.base_url}/v2/texml/calls/{quote(connection_id, safe='')}"
        self._update_url = f"{self._api.base_url}/v2/texml/Accounts/{quote(account_sid, safe='')}/Calls"

    async def place_call(self, call: OutboundCall) -> str:
        body: dict[str, str] = {
            "To": call.to,
            "From": call.caller_id,
            "Url": call.answer_url,
            "UrlMethod": "POST",
            "StatusCallback": call.status_url,
            "StatusCallbackMethod": "POST",
            "StatusCallbackEvent": _STATUS_EVENTS,
        }
        if call.machine_detection:
            # TeXML takes Twilio's values (its Call Control API's answering_machine_detection
            # is another API): DetectMessageEnd answers after the beep.
            body["MachineDetection"] = "DetectMessageEnd" if call.wait_for_beep else "Enable"
        response = await self._api.call("POST", self._place_url, json=body)
        call_sid = _call_sid(response)
        if call_sid is None:
            raise ProviderAPIError(self.name, response.status_code, "the answer names no call_sid")
        return call_sid

    async def hang_up(self, carrier_call_id: str) -> None:
        await self._update(carrier_call_id, {"Status": "completed"}, ok={404})

    async def send_digits(self, carrier_call_id: str, digits: str, resume_url: str) -> None:
        texml = dtmf_then_redirect(self.dialect, digits, resume_url)
        await self._update(carrier_call_id, {"Texml": texml})

    async def redirect(self, carrier_call_id: str, url: str) -> None:
        await self._update(carrier_call_id, {"Url": url, "Method": "POST"})

    def parse_webhook(self, params: Mapping[str, str], kind: WebhookKind) -> CarrierWebhook:
        return twilio_style_webhook(self.name, params, kind)

    async def aclose(self) -> None:
        await self._api.aclose()

    async def _update(self, call_sid: str, body: Mapping[str, str], *, ok: Collection[int] = ()) -> None:
        await self._api.call("POST", f"{self._update_url}/{quote(call_sid, safe='')}", json=body, ok=ok)


def _error_detail(answer: Any) -> str | None:
    """Telnyx's own ``errors[0].detail``, else its title."""
    first = answer["errors"][0]
    detail = first.get("detail") or first.get("title")
    return detail if isinstance(detail, str) else None


def signature_valid(
    public_key: str, timestamp: str, body: bytes, signature: str, now: float, tolerance: float = 300
) -> bool:
    """Whether ``signature`` signs ``timestamp|body`` (see ``verified_text``)."""
    return verified_text(public_key, timestamp, body, signature, now, tolerance) is not None


def verified_text(
    public_key: str, timestamp: str, body: bytes, signature: str, now: float, tolerance: float = 300
) -> bytes | None:
    """``timestamp|body`` when ``signature`` (telnyx-signature-ed25519, base64) signs it;
    None otherwise. Ed25519 signs the bytes as sent: no other bytes share a signature.

    ``public_key`` is the account's base64 Ed25519 key, ``timestamp`` the telnyx-timestamp
    header (Unix seconds) and ``now`` the current Unix time: a timestamp more than
    ``tolerance`` seconds away is refused, so a captured request cannot be replayed later.
    Hostile or malformed input gives None, never an exception.
    """
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _TIMESTAMP_MAX_DIGITS:
        return None
    # Written so that a NaN clock refuses rather than accepts.
    if not abs(now - int(timestamp)) <= tolerance:
        return None
    key = _public_key(public_key)
    if key is None:
        return None
    signed = timestamp.encode() + b"|" + body
    try:
        key.verify(base64.b64decode(signature, validate=True), signed)
    except (binascii.Error, ValueError, InvalidSignature):
        return None
    return signed


@functools.lru_cache(maxsize=8)
def _public_key(encoded: str) -> Ed25519PublicKey | None:
    """The key object, parsed once per key rather than once per webhook."""
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded.strip(), validate=True))
    except (binascii.Error, ValueError):
        return None


def _call_sid(response: httpx.Response) -> str | None:
    try:
        answer = response.json()
    except ValueError:
        return None
    # Flat as documented; wrapped in "data" as Telnyx's older TeXML answers were.
    for holder in (answer, answer.get("data") if isinstance(answer, dict) else None):
        if isinstance(holder, dict):
            for field in ("call_sid", "sid"):
                value = holder.get(field)
                if isinstance(value, str) and value:
                    return value
    return None


if TYPE_CHECKING:
    # mypy checks here, not at the first caller, that the class satisfies the protocol.
    def _conforms(provider: TelnyxProvider) -> Provider:
        return provider
