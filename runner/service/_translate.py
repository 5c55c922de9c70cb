"""A carrier's webhook as engine events."""

from __future__ import annotations

from runner.providers import CarrierWebhook, WebhookKind
from runner.types import Answered, AnyEvent, CallEnded, Digits, EndReason, NoInput, Ringing, Speech


def answer_id(hook: CarrierWebhook) -> str:
    """A call is answered once, whatever else its answer webhooks say."""
    return f"{hook.carrier_call_id}:answer"


def events_for(
    hook: CarrierWebhook, kind: WebhookKind, turn: str | None, answered: bool, now: float
) -> list[AnyEvent]:
    """The events one webhook means; its id names the delivery, so a repeat changes nothing."""
    if kind is WebhookKind.ANSWER:
        return [Answered(id=answer_id(hook), at=now, machine=hook.machine, answered_by=hook.answered_by)]
    key = f"{hook.carrier_call_id}:{kind}:{hook.status}:{turn}:{hook.digits}:{hook.speech}"
    if kind is WebhookKind.GATHER:
        if hook.digits:
            return [Digits(id=key, at=now, digits=hook.digits, token=turn)]
        if hook.speech:
            return [Speech(id=key, at=now, text=hook.speech, confidence=hook.confidence, token=turn)]
        return [NoInput(id=key, at=now, token=turn)]
    if hook.status == "ringing":
        return [Ringing(id=key, at=now)]
    if hook.status == "ended" and hook.end_reason is not None:
        reason = hook.end_reason
        if reason is EndReason.COMPLETED and answered:
            # The carrier reports a finished call the bot did not end: the caller did.
            reason = EndReason.HANGUP_USER
        return [CallEnded(id=key, at=now, reason=reason)]
    return []
