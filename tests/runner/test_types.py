from __future__ import annotations

import dataclasses

from runner.store import record_from_json
from runner.types import CallRecord, Direction, EndReason, Speaker, TranscriptEntry, Turn


def _record() -> CallRecord:
    return CallRecord(
        id="c1",
        flow="menu",
        provider="mock",
        direction=Direction.OUTBOUND,
        from_number="+14155550123",
        to_number="+14155550100",
        created_at=100.0,
        lifecycle=EndReason.HANGUP_BOT.value,
        step="(ended)",
        ringing_at=101.0,
        answered_at=102.0,
        ended_at=110.0,
        end_reason=EndReason.HANGUP_BOT,
        error=None,
        transcript=[
            TranscriptEntry(Speaker.BOT, "Press 1.", 102.0, "menu"),
            TranscriptEntry(Speaker.CALLER, "one", 105.0, "menu", 0.92),
        ],
        path=["menu"],
        digits_sent=["1#"],
        turns=[Turn("menu", 102.0, 104.0, 105.5, "speech")],
    )


def test_as_json_writes_every_field_and_the_derived_ones() -> None:
    data = _record().as_json()
    assert set(data) == {field.name for field in dataclasses.fields(CallRecord)} | {"said"}
    assert set(data["turns"][0]) == {field.name for field in dataclasses.fields(Turn)} | {
        "latency",
        "listen_wait",
    }
    assert set(data["transcript"][0]) == {field.name for field in dataclasses.fields(TranscriptEntry)}
    assert data["said"] == ["Press 1."]
    assert (data["turns"][0]["latency"], data["turns"][0]["listen_wait"]) == (3.5, 1.5)


def test_a_record_survives_the_round_trip_through_json() -> None:
    record = _record()
    assert record_from_json(record.as_json()) == record


def test_who_answered_survives_the_round_trip_and_older_records_have_none() -> None:
    record = dataclasses.replace(_record(), answered_by="machine")
    assert record_from_json(record.as_json()) == record

    older = {key: value for key, value in record.as_json().items() if key != "answered_by"}
    assert record_from_json(older).answered_by is None
