"""Twilio: place and steer calls over its REST API, read its webhooks, check their signatures.

Endpoints, from the Call resource reference (https://www.twilio.com/docs/voice/api/call-resource):

- place: ``POST /2010-04-01/Accounts/{AccountSid}/Calls.json``, form-encoded, HTTP basic
  auth (account SID, auth token); the answer's ``sid`` is the call's id.
- hang up: ``POST .../Calls/{CallSid}.json`` with ``Status=completed``; a 404 means the call
  is over and gone, which is what was asked.
- send digits: the same update with an inline ``Twiml`` document (``<Play digits>`` then
  ``<Redirect>``), since a live call takes DTMF only from a document.
- redirect: the same update with ``Url`` and ``Method=POST``.

Webhook fields follow "TwiML request parameters" (https://www.twilio.com/docs/voice/twiml),
the ``<Gather>`` action parameters and answering machine detection
(https://www.twilio.com/docs/voice/answering-machine-detection). The signature scheme is
"Webhooks security" (https://www.twilio.com/docs/usage/webhooks/webhooks-security); the
tests hold it against the official SDK's ``RequestValidator``.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

import httpx

from runner.dialects import dtmf_then_redirect
from runner.providers._base import CarrierWebhook, OutboundCall, WebhookKind
from runner.providers._errors import ProviderAPIError, ProviderConfigError
from runner.providers._fields import twilio_style_webhook
from runner.providers._hmac import keyed_hmac
from runner.providers._rest import CarrierAPI

if TYPE_CHECKING:
    from runner.providers._base import Provider

API_BASE = "https://api.twilio.com"

_STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
_DEFAULT_PORTS = {"https": 443, "http": 80}


class TwilioProvider:
    """Twilio's Programmable Voice, driven with TwiML."""

    name = "twilio"
    dialect = "twilio"

    def __init__(
        self,
        account_sid: str | None,
        auth_token: str | None,
        *,
        api_base: str = API_BASE,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not account_sid:
            raise ProviderConfigError(self.name, "the setting twilio.account_sid is missing")
        if not auth_token:
            raise ProviderConfigError(self.name, "the setting twilio.auth_token is missing")
        basic = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self._api = CarrierAPI(
            self.name,
            api_base,
            secrets=(auth_token, basic),
            message_of=lambda answer: answer.get("message"),
            client=client,
            auth=httpx.BasicAuth(account_sid, auth_token),
        )
        self._calls_url = f"{self._api.base_url}/2010-04-01/Accounts/{quote(account_sid, safe='')}/Calls"

    async def place_call(self, call: OutboundCall) -> str:
        form: dict[str, str | list[str]] = {
            "To": call.to,
            "From": call.caller_id,
            "Url": call.answer_url,
            "Method": "POST",
            "StatusCallback": call.status_url,
            "StatusCallbackMethod": "POST",
            "StatusCallbackEvent": _STATUS_EVENTS,
            "Timeout": str(call.ring_timeout),
        }
        if call.machine_detection:
            # DetectMessageEnd holds the answer webhook until the beep: a message then lands.
            form["MachineDetection"] = "DetectMessageEnd" if call.wait_for_beep else "Enable"
        response = await self._post(".json", form)
        try:
            sid = response.json().get("sid")
        except (ValueError, AttributeError):
            sid = None
        if not isinstance(sid, str) or not sid:
            raise ProviderAPIError(self.name, response.status_code, "the answer names no call sid")
        return sid

    async def hang_up(self, carrier_call_id: str) -> None:
        await self._post(f"/{quote(carrier_call_id, safe='')}.json", {"Status": "completed"}, ok={404})

    async def send_digits(self, carrier_call_id: str, digits: str, resume_url: str) -> None:
        twiml = dtmf_then_redirect(self.dialect, digits, resume_url)
        await self._post(f"/{quote(carrier_call_id, safe='')}.json", {"Twiml": twiml})

    async def redirect(self, carrier_call_id: str, url: str) -> None:
        await self._post(f"/{quote(carrier_call_id, safe='')}.json", {"Url": url, "Method": "POST"})

    def parse_webhook(self, params: Mapping[str, str], kind: WebhookKind) -> CarrierWebhook:
        return twilio_style_webhook(self.name, params, kind)

    async def aclose(self) -> None:
        await self._api.aclose()

    async def _post(
        self, path: str, form: Mapping[str, str | list[str]], *, ok: Collection[int] = ()
    ) -> httpx.Response:
        return await self._api.call("POST", self._calls_url + path, form=form, ok=ok)


def signature(auth_token: str, url: str, params: Sequence[tuple[str, str]]) -> str:
    """The X-Twilio-Signature of a request, as Twilio computes it (the mock carrier signs with it)."""
    mac = keyed_hmac(auth_token, "sha1").copy()
    mac.update(url.encode())
    mac.update(_posted(params))
    return base64.b64encode(mac.digest()).decode("ascii")


def signature_valid(auth_token: str, url: str, params: Sequence[tuple[str, str]], signature: str) -> bool:
    """Whether ``signature`` (the X-Twilio-Signature header) signs this request (see ``verified_text``)."""
    return verified_text(auth_token, url, params, signature) is not None


def verified_text(
    auth_token: str, url: str, params: Sequence[tuple[str, str]], signature: str
) -> bytes | None:
    """The text ``signature`` (the X-Twilio-Signature header) signs, when it signs this
    request; None when it does not.

    The signed text is ``url`` (the full public URL with its query) followed by each POST
    parameter's name and value, sorted by name; a repeated name's values are sorted and a
    repeated name-value pair counts once, as Twilio's SDKs sign them. Twilio is not
    consistent about ``:443`` / ``:80``, so the URL is also tried with the default port
    added or removed; any other port must match. Hostile input gives None, never an
    exception.

    The text returned is the same for every way of sending one request (the URL without
    its default port, then the fields): field order, percent-encoding, empty ``&`` parts,
    a repeated pair and the port change the bytes sent but not the signature, so the
    replay cache keys on it. No separator stands between the URL and the fields, as the
    signature has none: whatever keeps the signature valid keeps this text the same.
    """
    try:
        expected = signature.encode("ascii")
        posted = _posted(params)
        urls = [candidate.encode() for candidate in _with_and_without_default_port(url)]
        keyed = keyed_hmac(auth_token, "sha1")
    except (UnicodeError, ValueError, TypeError):
        return None
    valid = False
    for signed_url in urls:
        mac = keyed.copy()
        mac.update(signed_url)
        mac.update(posted)
        # No early exit: the time taken does not tell which variant matched.
        valid |= hmac.compare_digest(base64.b64encode(mac.digest()), expected)
    return urls[0] + posted if valid else None


def _posted(params: Sequence[tuple[str, str]]) -> bytes:
    return "".join(name + value for name, value in sorted(set(params))).encode()


def _with_and_without_default_port(url: str) -> list[str]:
    """The URL as given and with its default port added or removed; without it first."""
    parts = urlsplit(url)
    default = _DEFAULT_PORTS.get(parts.scheme)
    try:
        port = parts.port
    except ValueError:
        return [url]
    if default is None or not parts.netloc or (port is not None and port != default):
        return [url]
    # Splice the authority back in place, so the rest of the URL stays byte for byte.
    start = url.index("//") + 2
    rest = url[start + len(parts.netloc) :]
    if port is None:
        return [url, f"{url[:start]}{parts.netloc}:{default}{rest}"]
    return [f"{url[:start]}{parts.netloc[: parts.netloc.rindex(':')]}{rest}", url]


if TYPE_CHECKING:
    # mypy checks here, not at the first caller, that the class satisfies the protocol.
    def _conforms(provider: TwilioProvider) -> Provider:
        return provider
