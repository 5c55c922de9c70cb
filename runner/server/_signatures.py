"""Each carrier's webhook signature, as the guard asks for it.

The algorithms live in the carrier modules (``runner.providers.twilio`` and so on);
this module says which headers carry them. A check gives back the text the signature
covers, which names one delivery for the replay cache: a copy sent in other bytes that
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
    ) -> bytes | None:
        return twilio.verified_text(self._token, url, params, headers["x-twilio-signature"])


class PlivoSignature:
    headers: tuple[str, ...] = ("x-plivo-signature-v3", "x-plivo-signature-v3-nonce")

    def __init__(self, auth_token: str) -> None:
        self._token = auth_token

    def verify(
        self, url: str, headers: Mapping[str, str], body: bytes, params: list[tuple[str, str]]
    ) -> bytes | None:
        return plivo.verified_text(
            self._token, url, headers["x-plivo-signature-v3-nonce"], params, headers["x-plivo-signature-v3"]
        )


class TelnyxSignature:
    headers: tuple[str, ...] = ("telnyx-signature-ed25519", "telnyx-timestamp")

    def __init__(self, public_key: str, clock: Callable[[], float] = time.time) -> None:
        self._key = public_key
        self._clock = clock

    def verify(
        self, url: str, headers: Mapping[str, str], body: bytes, params: list[tuple[str, str]]
    ) -> bytes | None:
        return telnyx.verified_text(
            self._key, headers["telnyx-timestamp"], body, headers["telnyx-signature-ed25519"], self._clock()
        )
