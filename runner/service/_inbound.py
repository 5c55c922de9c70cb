"""Inbound calls that are refused: recorded once each, with the reason."""

from __future__ import annotations

import uuid

from runner.providers._base import CarrierWebhook
from runner.types import CallRecord, Direction, EndReason


def refused_record(hook: CarrierWebhook, why: str, provider: str, flow: str | None, now: float) -> CallRecord:
    return CallRecord(
        id=f"call-{uuid.uuid4().hex[:16]}",
        flow=flow or "(none)",
        provider=provider,
        direction=Direction.INBOUND,
        from_number=hook.from_number,
        to_number=hook.to_number,
        created_at=now,
        lifecycle=EndReason.FAILED.value,
        ended_at=now,
        end_reason=EndReason.FAILED,
        error=f"inbound call {why}",
        carrier_call_id=hook.carrier_call_id,
    )
