"""``callflow latency``: how long turns take, over the recorded calls."""

from __future__ import annotations

import argparse
import json
from collections import deque
from dataclasses import asdict
from typing import Any

from runner.cli._data_dir import no_calls_yet, reading_store
from runner.cli._server_args import add_server_arguments, records_dir
from runner.latency import Summary, summarize
from runner.simulate import is_simulated
from runner.types import CallRecord

HELP = "print turn latency and listen wait statistics (count, min, max, mean, p50, p90, p99)"
DESCRIPTION = """\
Summarize two times over the turns of the recorded calls that the caller answered
(a turn that timed out with no input measures the timeout, not the call, and is left
out).

  turn latency  from the turn's start to the caller's input
  listen wait   from when the caller could answer (the prompt was spoken) to the input

Calls run by 'callflow simulate' are left out: their times are the simulated clock's,
the same on every run. --include-simulated counts them too.

The table is in milliseconds; --json gives seconds. Percentiles are by nearest rank:
always a time that was measured, never an interpolation."""

_STATISTICS = ("count", "min", "max", "mean", "p50", "p90", "p99")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "latency", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--last", type=_positive, metavar="N", help="only the last N calls (default: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON object, in seconds")
    parser.add_argument(
        "--include-simulated", action="store_true", help="count the calls 'callflow simulate' ran too"
    )
    add_server_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    data_dir = records_dir(args)
    # Each counted call's (turn latencies, listen waits), oldest first; with --last, the
    # newest calls that count, which the store cannot pick out by itself.
    counted: deque[tuple[list[float], list[float]]] = deque(maxlen=args.last)
    left_out = 0
    with reading_store(data_dir) as store:
        for record in store.all() if store is not None else ():
            if is_simulated(record) and not args.include_simulated:
                left_out += 1
            else:
                counted.append(_answered_turn_times(record))
    calls = len(counted)
    turn_latency = summarize(time for latencies, _ in counted for time in latencies)
    listen_wait = summarize(time for _, waits in counted for time in waits)
    note = _left_out_note(left_out)
    if args.json:
        figures = {"turn_latency": _json(turn_latency), "listen_wait": _json(listen_wait)}
        print(json.dumps({"calls": calls, "simulated_left_out": left_out, **figures}, indent=2))
    elif not calls and left_out:
        print(f"no calls in {data_dir} but simulated ones{note}")
    elif not calls:
        print(no_calls_yet(data_dir))
    elif turn_latency is None and listen_wait is None:
        print(f"no turns yet in {_calls(calls)}{note}")
    else:
        print(f"{_calls(calls)}, times in milliseconds{note}")
        print(_table({"turn latency": turn_latency, "listen wait": listen_wait}))
    return 0


def _answered_turn_times(record: CallRecord) -> tuple[list[float], list[float]]:
    """The latencies and listen waits of the turns the caller answered."""
    answered = [turn for turn in record.turns if turn.input != "no_input"]
    latencies = [turn.latency for turn in answered if turn.latency is not None]
    waits = [turn.listen_wait for turn in answered if turn.listen_wait is not None]
    return latencies, waits


def _calls(count: int) -> str:
    return f"{count} call{'s' if count != 1 else ''}"


def _left_out_note(left_out: int) -> str:
    if not left_out:
        return ""
    return f" ({left_out} simulated left out; --include-simulated counts them)"


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
