"""bench/campaign_calls.py's rows and the tables and verdict it prints from them."""

from __future__ import annotations

import shlex
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from turn_rows import Load, WrkRow

TURNS = "plain webhook turns: the first webhook of a new call"
COMMAND = Path(__file__).with_name("campaign_calls.py")
MOCK = "campaign on the mock carrier, inside the server (the embedded default)"
CARRIER = "campaign via the Twilio provider against a carrier in another process"
#: The row the aim is judged on: like the turns row, the carrier's side runs in another
#: process (wrk there, the stand-in here), not on the server's loop and CPU.
JUDGED = CARRIER
# Webhooks a notify call costs: ringing, answered (the message), completed.
WEBHOOKS_PER_CALL_AIMED = 3


@dataclass
class CampaignRow:
    via: str
    recipients: int
    seconds: float
    cpu_seconds: float
    calls: int
    webhooks: float
    #: The out-of-process carrier's CPU seconds over the run; None for the mock, in the server.
    carrier_cpu_seconds: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    @property
    def webhooks_per_call(self) -> float:
        return self.webhooks / self.calls if self.calls else 0.0


@dataclass
class Round:
    turns: WrkRow
    campaigns: list[CampaignRow]


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _campaign_table(rounds: Sequence[Round]) -> tuple[list[str], dict[tuple[str, int], float]]:
    """The campaign rows' lines; each row's median ratio of calls/s to turns/s."""
    lines = [
        "| via | recipients | s | calls/s | ms a recipient | server CPU ms a recipient | webhooks a call "
        "| webhooks/s | calls/s ÷ (turns/s ÷ 3) | calls/s ÷ turns/s | carrier CPU |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    ratios: dict[tuple[str, int], float] = {}
    per_recipient: dict[str, dict[int, float]] = {}
    for index, first in enumerate(rounds[0].campaigns):
        rows = [one.campaigns[index] for one in rounds]
        rate = _median([row.rate for row in rows])
        ratio = _median([one.campaigns[index].rate / one.turns.run.rate for one in rounds])
        ratios[first.via, first.recipients] = ratio
        ms = _median([row.seconds / row.recipients for row in rows]) * 1e3
        per_recipient.setdefault(first.via, {})[first.recipients] = ms
        per_call = _median([row.webhooks_per_call for row in rows])
        cpu_ms = _median([row.cpu_seconds / row.recipients for row in rows]) * 1e3
        shares = [
            row.carrier_cpu_seconds / row.seconds for row in rows if row.carrier_cpu_seconds is not None
        ]
        lines.append(
            f"| {first.via} | {first.recipients:,} | {_median([row.seconds for row in rows]):.1f} "
            f"| {rate:,.0f} | {ms:.2f} | {cpu_ms:.2f} "
            f"| {per_call:.2f} | {rate * per_call:,.0f} | {ratio * WEBHOOKS_PER_CALL_AIMED:.2f} "
            f"| {ratio:.3f} | {f'{_median(shares):.0%} of a core' if shares else 'in the server'} |"
        )
    lines.append("")
    for via, sizes in per_recipient.items():
        smallest, largest = min(sizes), max(sizes)
        if largest != smallest:
            lines.append(
                f"per recipient, {via}: {sizes[smallest]:.2f} ms at {smallest:,}, "
                f"{sizes[largest]:.2f} ms at {largest:,} (x{sizes[largest] / sizes[smallest]:.2f})"
            )
    return lines, ratios


def report(rounds: Sequence[Round], load: Load, concurrency: int, argv: Sequence[str]) -> bool:
    """Print the tables and the verdict; whether the run is clean."""
    print(
        "notify campaigns through the real server vs its plain webhook turns; every row on a server "
        "built as 'callflow campaign run' builds its own (bench/campaign_server.py): signatures "
        "checked, SQLite in a fresh data folder, one process a row"
    )
    print(f"  command: {shlex.join([sys.executable, str(COMMAND), *argv])}")
    print(f"  {len(rounds)} round(s); medians, each ratio against its own round's turns/s")
    print()
    turns = [one.turns for one in rounds]
    cpu = [row.cpu for row in turns if row.cpu is not None]
    print(
        f"Plain webhook turns, wrk: {load.connections} connections, {load.threads} threads, {load.seconds} s"
    )
    print("| what | turns/s | p50 ms | p99 ms | server CPU |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(
        f"| {TURNS} | {_median([row.run.rate for row in turns]):,.0f} "
        f"| {_median([row.run.p50_ms for row in turns]):.2f} "
        f"| {_median([row.run.p99_ms for row in turns]):.2f} "
        f"| {f'{_median(cpu):.0%}' if cpu else '?'} |"
    )
    print()
    print(
        f"Campaigns of examples/outage-notice.yaml, cps=None (no pace limit), {concurrency} calls in flight"
    )
    lines, ratios = _campaign_table(rounds)
    print("\n".join(lines))
    largest = max(recipients for _via, recipients in ratios)
    for via in dict.fromkeys(via for via, _recipients in ratios):
        aimed = ratios.get((via, largest))
        if aimed is None:
            continue
        aimed *= WEBHOOKS_PER_CALL_AIMED
        if via == JUDGED:
            verdict = "met" if aimed >= 1 else "missed"
            print(
                f"aim (calls/s at least turns/s ÷ 3), judged like with like on the {via}, "
                f"at {largest:,} recipients: {verdict}, {aimed:.2f} of it"
            )
        else:
            print(
                f"for reference, the {via}: {aimed:.2f} of the aim "
                "(its carrier's work is on the server's CPU)"
            )
    failed = False
    for one in rounds:
        for label, problems in [
            (TURNS, [f"{one.turns.run.errors} errors counted by wrk"] * bool(one.turns.run.errors)
             + one.turns.problems),
            *[(f"{row.via} of {row.recipients:,}", row.problems) for row in one.campaigns],
        ]:  # fmt: skip
            for problem in problems:
                failed = True
                print(f"ERROR in {label}: {problem}")
    if failed:
        print("This run had errors: its figures are not for the README.")
    elif largest < 10_000:
        print("A campaign under 10,000 recipients is a smoke run: the README takes --sizes 1000,10000.")
    return not failed
