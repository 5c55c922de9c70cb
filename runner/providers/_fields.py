"""Webhook fields: reading them safely, and the Twilio-shaped ones that Twilio, Telnyx's
TeXML and the mock carrier all send."""

from __future__ import annotations

import math
from collections.abc import Mapping

from runner.providers._base import CarrierWebhook, WebhookKind
from runner.providers._errors import WebhookFormatError
from runner.types import EndReason

# queued and initiated say nothing the runner acts on; anything unknown is never terminal.
TWILIO_STATUSES: Mapping[str, tuple[str, EndReason | None]] = {
    "ringing": ("ringing", None),
    "in-progress": ("answered", None),
    "answered": ("answered", None),
    "completed": ("ended", EndReason.COMPLETED),
    "busy": ("ended", EndReason.BUSY),
    "no-answer": ("ended", EndReason.NO_ANSWER),
    "failed": ("ended", EndReason.FAILED),
    # Only the REST API cancels a queued or ringing call, and only the runner calls it.
    "canceled": ("ended", EndReason.HANGUP_BOT),
}


def text(params: Mapping[str, str], name: str) -> str | None:
    """A field's value; empty counts as absent, as carriers send empty fields freely."""
    return params.get(name) or None


def confidence(value: str | None) -> float | None:
    """A recogniser's confidence; anything that is not a finite number is none given."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def is_machine(answered_by: str | None) -> bool:
    """machine, machine_start, machine_end_* or fax: anything but a person."""
    return answered_by is not None and (answered_by.startswith("machine") or answered_by == "fax")


def answered_by(value: str | None) -> str | None:
    """An AnsweredBy value made common: "human", "machine" (fax too) or "unknown"; None when
    the webhook does not say (detection was not asked for)."""
    if value is None:
        return None
    if is_machine(value):
        return "machine"
    return "human" if value == "human" else "unknown"


def twilio_style_webhook(provider: str, params: Mapping[str, str], kind: WebhookKind) -> CarrierWebhook:
    call_sid = text(params, "CallSid")
    if call_sid is None:
        raise WebhookFormatError(provider, "CallSid")
    status, end_reason = TWILIO_STATUSES.get(text(params, "CallStatus") or "", ("", None))
    return CarrierWebhook(
        carrier_call_id=call_sid,
        kind=kind,
        status=status,
        end_reason=end_reason,
        from_number=text(params, "From"),
        to_number=text(params, "To"),
        # Outbound legs say "outbound-api" (REST) or "outbound-dial" (<Dial>).
        inbound=text(params, "Direction") == "inbound",
        digits=text(params, "Digits"),
        speech=text(params, "SpeechResult"),
        confidence=confidence(text(params, "Confidence")),
        machine=is_machine(text(params, "AnsweredBy")),
        answered_by=answered_by(text(params, "AnsweredBy")),
    )
