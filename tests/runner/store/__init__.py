"""Call records as the engine leaves them, shared by the store and the CLI tests.

There is no store-filling engine run yet, so the records are built by hand, shaped as
the engine builds them: bot lines carry their step, a turn opens when the prompt
starts and closes on the caller's input.
"""

from __future__ import annotations

from pathlib import Path

from runner.store import open_store
from runner.types import CallRecord, Direction, EndReason, Lifecycle, Speaker, TranscriptEntry, Turn

#: 2024-05-01T09:30:00Z
T0 = 1_714_555_800.0


def reminder_call(call_id: str = "call-0001", created_at: float = T0) -> CallRecord:
    """An outbound reminder the callee confirmed by pressing 1."""
    at = created_at
    return CallRecord(
        id=call_id,
        flow="appointment-reminder",
        provider="twilio",
        direction=Direction.OUTBOUND,
        from_number="+15559870000",
        to_number="+15551230001",
        created_at=at,
        lifecycle=EndReason.HANGUP_BOT,
        step="confirmed",
        ringing_at=at + 0.4,
        answered_at=at + 6.0,
        ended_at=at + 17.5,
        end_reason=EndReason.HANGUP_BOT,
        transcript=[
            TranscriptEntry(Speaker.BOT, "Hi Ada, this is the clinic.", at + 6.2, "menu"),
            TranscriptEntry(
                Speaker.BOT, "Press 1 to confirm your appointment, or 2 to cancel it.", at + 7.9, "menu"
            ),
            TranscriptEntry(Speaker.CALLER, "1", at + 12.25, "menu"),
            TranscriptEntry(Speaker.BOT, "See you then.", at + 12.5, "confirmed"),
        ],
        path=["menu", "confirmed"],
        turns=[
            Turn("menu", started_at=at + 6.2, listen_started_at=at + 11.0, input_at=at + 12.25, input="dtmf")
        ],
    )


def hotline_call(call_id: str = "call-0002", created_at: float = T0 + 60) -> CallRecord:
    """An inbound caller who reported an outage in words, over two turns."""
    at = created_at
    return CallRecord(
        id=call_id,
        flow="inbound-hotline",
        provider="plivo",
        direction=Direction.INBOUND,
        from_number="+15557654321",
        to_number="+15550001111",
        created_at=at,
        lifecycle=EndReason.HANGUP_BOT,
        step="thanks",
        answered_at=at + 1.0,
        ended_at=at + 41.0,
        end_reason=EndReason.HANGUP_BOT,
        transcript=[
            TranscriptEntry(Speaker.BOT, "You have reached the outage hotline.", at + 1.1, "ask"),
            TranscriptEntry(
                Speaker.BOT,
                "To report an outage, press 1 or say report. To hear the current status, press 2 or say status.",
                at + 3.0,
                "ask",
            ),
            TranscriptEntry(Speaker.CALLER, "report", at + 10.6, "ask"),
            TranscriptEntry(Speaker.BOT, "Please describe the problem after the tone.", at + 11.0, "report"),
            TranscriptEntry(Speaker.CALLER, "the power is out on Elm Street", at + 21.0, "report"),
            TranscriptEntry(
                Speaker.BOT,
                "Thank you. We noted: the power is out on Elm Street. "
                "We will call +15557654321 back when it is fixed.",
                at + 21.4,
                "thanks",
            ),
        ],
        path=["ask", "report", "thanks"],
        turns=[
            Turn("ask", started_at=at + 1.1, listen_started_at=at + 9.8, input_at=at + 10.6, input="speech"),
            Turn(
                "report",
                started_at=at + 11.0,
                listen_started_at=at + 13.5,
                input_at=at + 21.0,
                input="speech",
            ),
        ],
    )


def dial_in_call(call_id: str = "call-0003", created_at: float = T0 + 120) -> CallRecord:
    """A meeting dial-in still in progress: PIN sent, now listening to the meeting."""
    at = created_at
    return CallRecord(
        id=call_id,
        flow="meeting-dial-in",
        provider="twilio",
        direction=Direction.OUTBOUND,
        from_number="+15559870000",
        to_number="+15553334444",
        created_at=at,
        lifecycle=Lifecycle.LISTENING,
        step="listen",
        ringing_at=at + 0.3,
        answered_at=at + 2.0,
        transcript=[
            TranscriptEntry(
                Speaker.BOT, "Hello, this is the assistant joining the meeting.", at + 4.0, "listen"
            )
        ],
        path=["listen"],
        digits_sent=["ww4421#"],
        turns=[Turn("listen", started_at=at + 6.0, listen_started_at=at + 6.0)],
    )


def failed_call(call_id: str = "call-0004", created_at: float = T0 + 180) -> CallRecord:
    """An outage notice the carrier could not deliver: no transcript, no path."""
    return CallRecord(
        id=call_id,
        flow="outage-notice",
        provider="telnyx",
        direction=Direction.OUTBOUND,
        from_number="+15559870000",
        to_number="+15550009999",
        created_at=created_at,
        lifecycle=EndReason.FAILED,
        ended_at=created_at + 1.5,
        end_reason=EndReason.FAILED,
        error="carrier rejected the number: unallocated (404)",
    )


def save_records(data_dir: Path, *records: CallRecord) -> None:
    """Save ``records`` in this order, each once, as the engine does when a call ends."""
    with open_store(data_dir) as store:
        for record in records:
            store.save(record)
