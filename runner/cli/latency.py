"""``callflow latency``: how long turns take, over the recorded calls."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from runner.cli._data_dir import no_calls_yet, reading_store
from runner.cli._server_args import add_server_arguments, records_dir
from runner.latency import Summary, summarize
from runner.types import CallRecord

HELP = "print turn latency and listen wait statistics (count, min, max, mean, p50, p90, p99)"
DESCRIPTION = """\
Summarize two times over the turns of the recorded calls that the caller answered
(a turn that timed out with no input measures the timeout, not the call, and is left
out).

  turn latency  from the turn's start to the caller's input
  listen wait   from when the caller could answer (the prompt was spoken) to the input

The table is in milliseconds; --json gives seconds. Percentiles are by nearest rank:
always a time that was measured, never an interpolation."""

_STATISTICS = ("count", "min", "max", "mean", "p50", "p90", "p99")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "latency", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--last", type=_positive, metavar="N", help="only the last N calls (default: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON object, in seconds")
    add_server_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    data_dir = records_dir(args)
    calls = 0
    latencies: list[float] = []
    waits: list[float] = []
    with reading_store(data_dir) as store:
        records: Iterable[CallRecord] = ()
        if store is not None:
            records = store.all() if args.last is None else store.recent(args.last)
        for record in records:
            calls += 1
            for turn in record.turns:
                if turn.input == "no_input":
                    continue
                if turn.latency is not None:
                    latencies.append(turn.latency)
                if turn.listen_wait is not None:
                    waits.append(turn.listen_wait)
    turn_latency, listen_wait = summarize(latencies), summarize(waits)
    if args.json:
        print(
            json.dumps(
                {"calls": calls, "turn_latency": _json(turn_latency), "listen_wait": _json(listen_wait)},
                indent=2,
            )
        )
    elif not calls:
        print(no_calls_yet(data_dir))
    elif turn_latency is None and listen_wait is None:
        print(f"no turns yet in {calls} call{'s' if calls != 1 else ''}")
    else:
        print(f"{calls} call{'s' if calls != 1 else ''}, times in milliseconds")
        print(_table({"turn latency": turn_latency, "listen wait": listen_wait}))
    return 0


def _json(summary: Summary | None) -> dict[str, Any]:
    if summary is None:
        return {name: 0 if name == "count" else None for name in _STATISTICS}
    # Microseconds are finer than any carrier reports; rounding hides float noise like 0.30000000000000004.
    return {name: value if name == "count" else round(value, 6) for name, value in asdict(summary).items()}


def _table(rows: dict[str, Summary | None]) -> str:
    cells = [["", *_STATISTICS]]
    for label, summary in rows.items():
        if summary is None:
            cells.append([label, "0", *["-"] * (len(_STATISTICS) - 1)])
        else:
            values = [getattr(summary, name) for name in _STATISTICS[1:]]
            cells.append([label, str(summary.count), *(f"{value * 1000:.1f}" for value in values)])
    widths = [max(len(row[column]) for row in cells) for column in range(len(cells[0]))]
    lines = []
    for label, *numbers in cells:
        aligned = (cell.rjust(width) for cell, width in zip(numbers, widths[1:], strict=True))
        lines.append("  ".join([label.ljust(widths[0]), *aligned]).rstrip())
    return "\n".join(lines)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, found {value}")
    return value
