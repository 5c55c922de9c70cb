"""Where a campaign's time goes on the server's thread, from bench/campaign_server.py's profile.

The server's event loop runs everything of a campaign: the webhooks, the call service,
the campaign's own dialing, and either the mock carrier (which plays the carrier from
inside the process) or the Twilio provider's REST requests to a carrier elsewhere.
cProfile counts each resumption of a coroutine as a call, so the cumulative time of a
task's outermost coroutine is all the time that task ran; the shares below are of the
profile's total (the loop's busy time).
"""

from __future__ import annotations

import pstats
from pathlib import Path

# (file name ends with, function name): the outermost frames of each kind of work.
MOCK_CARRIER = [("runner/providers/mock.py", "_run")]
# A call's task (_call) awaits its settling inside it; _start claims and starts it. The
# long-lived _dial loop itself is left out: cProfile undercounts a coroutine entered
# before it was enabled, so its own calls to the dispatcher are counted directly.
CAMPAIGN_RUN = [("runner/campaigns/_run.py", name) for name in ("_call", "_start")]
PLACING = [("runner/service/_service.py", "place_call")]
CARRIER_REST = [("runner/providers/twilio.py", "place_call")]
WAITING_ENDED = [("runner/service/_service.py", "wait_ended")]
DIAL_LOOP_ASKS = ("due", "unsettled", "next_due_at", "defer", "is_running", "finish")
DISPATCHER = [
    ("runner/campaigns/_dispatcher.py", name) for name in ("claim", "release", "report", *DIAL_LOOP_ASKS)
]


def _cumulative(stats: pstats.Stats, frames: list[tuple[str, str]]) -> float:
    table = stats.stats  # type: ignore[attr-defined]
    return sum(
        float(row[3])
        for (file, _line, name), row in table.items()
        if any(file.endswith(suffix) and name == wanted for suffix, wanted in frames)
    )


def breakdown(profile: Path, recipients: int) -> list[str]:
    """Lines saying what share of the loop's busy time each kind of work took."""
    stats = pstats.Stats(str(profile))
    total = float(stats.total_tt)  # type: ignore[attr-defined]
    mock = _cumulative(stats, MOCK_CARRIER)
    asks = [("runner/campaigns/_dispatcher.py", name) for name in DIAL_LOOP_ASKS]
    campaign = _cumulative(stats, CAMPAIGN_RUN) + _cumulative(stats, asks)
    placing = _cumulative(stats, PLACING)
    rest_request = _cumulative(stats, CARRIER_REST)
    dispatcher = _cumulative(stats, DISPATCHER)
    waiting = _cumulative(stats, WAITING_ENDED)
    rest = total - mock - campaign
    rows = [
        ("the mock carrier: its calls' tasks, its HTTP client (httpx) included", mock),
        ("the server answering the webhooks (uvicorn, guard, call service), and the rest", rest),
        ("the campaign run: claims, placing each call, waiting for its end, reports", campaign),
        ("  of which the call service placing the call (its record saved, the carrier asked)", placing),
        ("    of which the Twilio provider's REST request (httpx), to a carrier elsewhere", rest_request),
        ("  of which the call's ended record read back (CallService.wait_ended)", waiting),
        ("  of which the dispatcher (StoreDispatcher: due, claim, report, ...)", dispatcher),
    ]
    lines = [
        f"where the server thread's time went (cProfile, {recipients:,} recipients, "
        f"{total:.1f} s busy, {total / recipients * 1e3:.2f} ms a recipient):",
        "| what | s | share | ms a recipient |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, seconds in rows:
        if not seconds:
            continue  # the mock's line on a carrier elsewhere, the REST request's on the mock
        lines.append(
            f"| {label} | {seconds:.2f} | {seconds / total:.0%} | {seconds / recipients * 1e3:.3f} |"
        )
    return lines
