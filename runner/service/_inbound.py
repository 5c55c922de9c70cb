"""Inbound calls: admitted by the inbound policy and answered, or refused and recorded
once each, with the reason."""

from __future__ import annotations

import uuid

from runner.dialects import reject
from runner.engine import bind_inputs
from runner.providers import CarrierWebhook
from runner.service._consults import settle_consults, settled_document
from runner.service._desk import CallDesk
from runner.service._streamed import stream_document, uses_stream
from runner.service._translate import answer_id
from runner.types import Answered, CallRecord, Direction, EndReason


async def answer_inbound(desk: CallDesk, hook: CarrierWebhook) -> str:
    """The document for a call the carrier brings in, whose carrier id no call has had."""
    policy = desk.settings.inbound
    engine = desk.engines.get(policy.flow or "")
    admitted = engine is not None and policy.admits(hook.from_number)
    if engine is None or not admitted or desk.at_capacity:
        why = "refused by the inbound policy" if not admitted else "refused: no capacity"
        # Saved at once, not with the turn's commit: the next request for this carrier id
        # finds it in the store and is refused without a second record.
        desk.store.save(refused_record(hook, why, desk.provider.name, policy.flow, desk.clock()))
        desk.calls.saw_carrier_id(hook.carrier_call_id)
        return reject(desk.provider.dialect)
    call = engine.new_call(
        call_id=desk.new_call_id(),
        variables=bind_inputs(engine.flow, {}),
        now=desk.clock(),
        provider=desk.provider.name,
        direction=Direction.INBOUND,
        from_number=hook.from_number,
        to_number=hook.to_number,
    )
    live = desk.calls.adopt(call, engine, hook.carrier_call_id)
    desk.on_start(call.record)
    answered = Answered(id=answer_id(hook), at=desk.clock(), greeting=policy.greeting)
    settled = await settle_consults(desk, live, desk.apply(live, answered, save=False))
    desk.save(live)
    if uses_stream(desk, live) and not live.call.ended:
        return stream_document(desk, live, settled.actions)
    return settled_document(desk, live, settled)


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
