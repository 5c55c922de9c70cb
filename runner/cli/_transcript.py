"""A call told as text: who said what at which step, and how it ended."""

from __future__ import annotations

from runner.types import CallRecord, Speaker


def transcript(record: CallRecord, how: str) -> str:
    """A readable account of the call: who said what at which step, and how it ended."""
    if record.to_number is not None:
        heading = f"{record.flow}: outbound call to {record.to_number}"
    else:
        heading = f"{record.flow}: inbound call from {record.from_number}"
    lines = [f"{heading} ({how}, id {record.id})"]
    if record.digits_sent:
        lines.append(f"  digits sent: {', '.join(record.digits_sent)}")
    for entry in record.transcript:
        where = f"[{entry.step}] " if entry.step else ""
        speaker = "caller" if entry.speaker is Speaker.CALLER else entry.speaker.value
        lines.append(f"  {speaker:<7}{where}{entry.text}")
    if record.transfers:
        lines.append(f"  transferred to: {', '.join(record.transfers)}")
    if record.error:
        lines.append(f"error: {record.error}")
    reason = record.end_reason.value if record.end_reason else "not ended"
    seconds = (record.ended_at or record.created_at) - record.created_at
    path = " > ".join(record.path) if record.path else "no steps"
    lines.append(f"ended: {reason} after {seconds:.1f} s; path: {path}")
    return "\n".join(lines) + "\n"
