"""Each carrier's webhook signature, as the guard asks for it.

The algorithms live in the carrier modules (``runner.providers.twilio`` and so on);
this module says which headers carry them and what names one delivery for the
replay cache: the text the signature covers, so that a copy sent in other bytes that
the signature still accepts is the same delivery.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from runner.providers import plivo, telnyx, twilio


class TwilioSignature:
    """Twilio, and the mock carrier, which signs the way Twilio does."""

    headers: tuple[str, ...] = ("x-twilio-signature",)

    def __init__(self, auth_token: str) -> None:
        self._token = auth_token

    def verify(
        self, url: str, headers: Mapping[str, str], body: bytes, params: list[tuple[str, str]]
    ) -> bool:
        return twilio.signature_valid(self._token, url, params, headers["x-twilio-signature"])

    def replay_key(
        self, url: str, headers: Mapping[str, str], body: bytes, params: list[tuple[str, str]]
    ) -> bytes:
        return twilio.signed_text(url, params)


class PlivoSignature:
    headers: tuple[str, ...] = ("x-plivo-signature-v3", "x-plivo-signature-v3-nonce")

    def __init__(self, auth_token: str) -> None:
        self._token = auth_token

    def verify(
        self, url: str, headers: Mapping[str, str], body: bytes, params: list[tuple[str, str]]
    ) -> bool:
        return plivo.signature_valid(
            self._token, url, headers["x-plivo-signature-v3-nonce"], params, headers["x-plivo-signature-v3"]
        )

    def replay_key(
        self, url: str, headers: Mapping[str, str], body: bytes, params: list[tuple[str, str]]
    ) -> bytes:
        return plivo.signed_text(url, headers["x-plivo-signature-v3-nonce"], params)


class TelnyxSignature:
    headers: tuple[str, ...] = ("telnyx-signature-ed25519", "telnyx-timestamp")

    def __init__(self, public_key: str, clock: Callable[[], float] = time.time) -> None:
        self._key = public_key
        self._clock = clock

    def verify(
        self, url: str, headers: Mapping[str, str], body: bytes, params: list[tuple[str, str]]
    ) -> bool:
        return telnyx.signature_valid(
            self._key, headers["telnyx-timestamp"], body, headers["telnyx-signature-ed25519"], self._clock()
        )

    def replay_key(
        self, url: str, headers: Mapping[str, str], body: bytes, params: list[tuple[str, str]]
    ) -> bytes:
        # Ed25519 signs these bytes as sent: any other bytes need another signature.
        return headers["telnyx-timestamp"].encode() + b"|" + body
