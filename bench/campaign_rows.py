"""Benchmark: checking a campaign's recipients before any call, per row.

    .venv/bin/python bench/campaign_rows.py [--sizes 1000,10000,100000] [--rounds 1]

For each size it writes a generated recipients file for examples/outage-notice.yaml
to a temporary folder, every row valid, and does what ``callflow campaign run
--dry-run`` does: read the CSV, bind each row to the flow's inputs, make its number
E.164, render ``to`` and the greeting, hold the text against Twilio's limits, look
for duplicates, and sum up the plan (the longest message, the preview). Half the
numbers are national, so ``--region US`` has work.

It prints the best of ``--rounds`` runs of reading and of checking, and the time per
row, which should stay flat from the smallest size to the largest (the aim: 100,000
rows in under 10 s on one core). It checks that every row came out valid, so the
figures are of a full check.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flows import load_flow
from runner.campaigns import (
    CampaignCheck,
    DryRun,
    NotifyScript,
    RecipientsFile,
    check_recipients,
    read_recipients,
)
from runner.simulate import SPEECH_CHARS_PER_SECOND

PROJECT = Path(__file__).resolve().parent.parent
FLOW = PROJECT / "examples" / "outage-notice.yaml"
REGION = "US"
# Numbers from +1 415 200 0000 on: valid, and one a row, so none is a duplicate.
FIRST_NUMBER = 2_000_000


def recipients_csv(size: int) -> str:
    lines = ["name,phone,eta\n"]
    for index in range(size):
        subscriber = FIRST_NUMBER + index
        exchange, line = divmod(subscriber, 10_000)
        # Every other row national and quoted with a comma in the name, as spreadsheets write them.
        if index % 2:
            lines.append(f'"Customer {index}, Jr.",(415) {exchange:03d}-{line:04d},{index % 12 + 1} pm\n')
        else:
            lines.append(f"Customer {index},+1415{exchange:03d}{line:04d},\n")
    return "".join(lines)


def dry_run(table: RecipientsFile, script: NotifyScript) -> CampaignCheck:
    """The dry run's work after reading: the check, then the plan's summary as it is printed."""
    check = check_recipients(table, script, region=REGION)
    DryRun(check, skip_invalid=False, cps=1.0, speech_chars_per_second=SPEECH_CHARS_PER_SECOND).format()
    return check


def best_of(rounds: int, work: Callable[[], object]) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="row counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each size; the best counts")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    script = NotifyScript(load_flow(FLOW), "mock")
    print("| rows | read CSV (s) | check (s) | total (s) | µs per row |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = Path(folder) / f"recipients-{size}.csv"
            path.write_text(recipients_csv(size), encoding="utf-8")
            read_seconds, table = best_of(args.rounds, lambda path=path: read_recipients(path))
            assert isinstance(table, RecipientsFile)
            check_seconds, check = best_of(args.rounds, lambda table=table: dry_run(table, script))
            assert isinstance(check, CampaignCheck)
            assert not check.problems, check.problems[0].format()
            assert len(check.recipients) == size
            total = read_seconds + check_seconds
            print(
                f"| {size:,} | {read_seconds:.3f} | {check_seconds:.3f} | {total:.3f} "
                f"| {total / size * 1e6:.1f} |"
            )


if __name__ == "__main__":
    main()
