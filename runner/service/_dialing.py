"""Placing calls: a call of a loaded flow, recorded, then dialled at the carrier."""

from __future__ import annotations

from collections.abc import Mapping

from flows import Data, Flow, e164_problem
from runner.engine import InputError, bind_inputs, render_before_call
from runner.providers import OutboundCall
from runner.service._desk import CallDesk
from runner.service._errors import TooManyCallsError, UnknownFlowError
from runner.types import CallEnded, CallRecord, Direction, EndReason


class Dialer:
    """Places outbound calls."""

    def __init__(self, desk: CallDesk) -> None:
        self._desk = desk

    async def place_call(
        self,
        flow_name: str,
        variables: Mapping[str, str],
        *,
        to: str | None = None,
        call_id: str | None = None,
    ) -> CallRecord:
        """Dial a call of ``flow_name``; its record, in state initiated. ``call_id`` is one
        ``CallDesk.new_call_id`` gave (to know the id before dialing); None makes one.

        Raises UnknownFlowError, InputError (bad values or number: nothing dialled),
        TooManyCallsError, and the provider's errors (the call is then recorded as failed).
        """
        desk = self._desk
        engine = desk.engines.get(flow_name)
        if engine is None:
            raise UnknownFlowError(flow_name, sorted(desk.engines))
        if desk.at_capacity:
            raise TooManyCallsError(desk.settings.max_concurrent_calls)
        values = bind_inputs(engine.flow, variables)
        number = to if to is not None else _number_to_call(engine.flow, values)
        problem = e164_problem(number)
        if problem is not None:
            raise InputError("to", f"the number to call, '{number}': {problem}")
        caller_id = desk.settings.from_number
        if engine.flow.caller_id is not None:
            caller_id = render_before_call(engine.flow, "from", engine.flow.caller_id, values)
        call = engine.new_call(
            call_id=call_id or desk.new_call_id(),
            variables=values,
            now=desk.clock(),
            provider=desk.provider.name,
            direction=Direction.OUTBOUND,
            from_number=caller_id,
            to_number=number,
        )
        live = desk.calls.adopt(call, engine)
        desk.save(live)
        await desk.calls.committed()
        desk.on_start(call.record)
        machine = engine.flow.machine
        detect = machine is not None and machine.detect
        outbound = OutboundCall(
            to=number,
            caller_id=caller_id or "",
            answer_url=desk.url(call.id, event="answer"),
            status_url=desk.url(call.id, event="status"),
            machine_detection=detect,
            wait_for_beep=detect and machine is not None and machine.on_machine == "leave_message",
        )
        try:
            live.carrier_call_id = await desk.provider.place_call(outbound)
        except Exception:
            desk.apply(live, CallEnded(id="place-failed", at=desk.clock(), reason=EndReason.FAILED))
            raise
        desk.calls.set_carrier_id(live, live.carrier_call_id)
        desk.save(live)
        await desk.calls.committed()
        return call.synced_record()


def _number_to_call(flow: Flow, values: Mapping[str, Data]) -> str:
    if flow.to is None:
        raise InputError("to", f"flow '{flow.name}' has no 'to': give the number to call")
    return render_before_call(flow, "to", flow.to, values)
