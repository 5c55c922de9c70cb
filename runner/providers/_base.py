"""What every carrier module provides: place and steer calls, read its webhooks.

A provider knows one carrier's REST API and webhook fields and nothing of flows. The
server asks it to place a call, hang up or send digits, and hands it each webhook's
parameters to turn into a ``CarrierWebhook``, which the server turns into engine
events.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from runner.types import EndReason


class WebhookKind(enum.StrEnum):
    """What a carrier's request to the voice webhook is about."""

    #: The call was answered (or an inbound call arrived): the carrier wants a document.
    ANSWER = "answer"
    #: The result of a gather: digits, speech, or nothing.
    GATHER = "gather"
    #: A status callback: ringing, answered, or over.
    STATUS = "status"


@dataclass(frozen=True)
class OutboundCall:
    """A call to place. ``answer_url`` and ``status_url`` are this server's webhook."""

    to: str
    caller_id: str
    answer_url: str
    status_url: str
    #: Seconds to let it ring before giving up (no-answer).
    ring_timeout: int = 30
    #: Ask the carrier to tell a machine from a person (AnsweredBy / machine_detection).
    machine_detection: bool = False
    #: With ``machine_detection``: have the carrier wait for a machine's greeting to end
    #: (the beep) before fetching the answer document, so a message spoken then is recorded.
    wait_for_beep: bool = False


@dataclass(frozen=True)
class CarrierWebhook:
    """One webhook request, in the carrier's terms made common.

    ``status`` is "ringing", "answered", "ended" or "" (unknown: never terminal);
    ``end_reason`` is set when ``status`` is "ended".
    """

    carrier_call_id: str
    kind: WebhookKind
    status: str = ""
    end_reason: EndReason | None = None
    from_number: str | None = None
    to_number: str | None = None
    inbound: bool = False
    digits: str | None = None
    speech: str | None = None
    confidence: float | None = None
    #: Answering machine detection said a machine answered.
    machine: bool = False
    #: What answering machine detection said: "human", "machine", "unknown"; None: not asked.
    answered_by: str | None = None


class Provider(Protocol):
    #: "twilio", "telnyx", "plivo" or "mock".
    name: str
    #: The dialect its documents are rendered in: "twilio", "telnyx" or "plivo".
    dialect: str

    async def place_call(self, call: OutboundCall) -> str:
        """Ask the carrier to dial; the carrier's id for the call."""
        ...

    async def hang_up(self, carrier_call_id: str) -> None:
        """End a call. A call that is already over is not an error."""
        ...

    async def send_digits(self, carrier_call_id: str, digits: str, resume_url: str) -> None:
        """Send DTMF into a live call, then have the carrier fetch ``resume_url``."""
        ...

    async def redirect(self, carrier_call_id: str, url: str) -> None:
        """Have the carrier drop what the call is doing and fetch ``url`` (POST) now."""
        ...

    def parse_webhook(self, params: Mapping[str, str], kind: WebhookKind) -> CarrierWebhook:
        """Read a webhook's parameters (form fields or JSON fields, flattened to text).

        ``kind`` is what the server's own URL says the request is about.
        Raises ``WebhookFormatError`` when a required field is missing.
        """
        ...

    async def aclose(self) -> None: ...
