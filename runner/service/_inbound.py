"""Inbound calls that are refused: recorded once each, with the reason."""

from __future__ import annotations

import uuid
from collections import OrderedDict

from runner.providers._base import CarrierWebhook
from runner.types import CallRecord, Direction, EndReason


class RecentIds:
    """Carrier call ids seen lately, so a call is refused (and recorded) once."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def seen(self, carrier_call_id: str) -> bool:
        return carrier_call_id in self._ids

    def first_time(self, carrier_call_id: str) -> bool:
        if carrier_call_id in self._ids:
            return False
        self._ids[carrier_call_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True


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
    )
