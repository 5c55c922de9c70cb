"""Benchmark: webhook turns of `callflow serve` under load, against a baseline.

    .venv/bin/python bench/webhook_turn.py [--seconds 10] [--rounds 3] [--quick]

Every row runs on one flow, examples/inbound-hotline.yaml (a menu: press 1 to report an
outage, 2 for the status, which says goodbye and hangs up), on one uvicorn worker in a
process of its own. The baseline server (bench/baseline_server.py) is served exactly as
`callflow serve` serves its app: the same uvicorn options (uvloop, httptools, no access
log), the same garbage-collector settings (gc.freeze() after start-up, a young
collection every 10,000 allocations) and the same socket. Its endpoints go through
Starlette's router, and its webhook through Starlette's form parser; callflow's webhook
goes straight to its guard and parses the form itself. The baseline answers callflow's
own documents for the flow, so both send the same bytes back, and remembers nothing.

All rows run once per round (3 by default); the report gives each row's medians over the
rounds, each ratio against the baseline of its own round and its own load: on a shared
machine a neighbour's load moves a single run's figures by 10-30 %.

One request per call, sent by wrk (32 connections, 2 threads) after a warm-up:
- do-nothing: answers the first document without reading the request: the ceiling of one
  uvicorn worker behind Starlette's router on this machine;
- baseline: parses the form, checks the X-Twilio-Signature with the official `twilio`
  package's RequestValidator, answers the first document; every request is the same body;
- callflow serve, first webhook of a new call: Twilio's first webhook of a new inbound
  call (its own CallSid, signed in advance): signature check, the answer kept in the replay
  cache, the carrier call id looked up, the engine answering, the TwiML rendered, the
  call's record (and the answer) committed to SQLite before the answer goes out. No call
  gets a second turn: every call waits at the menu to the end of the run, so tens of
  thousands pile up in memory, as in a flood of new calls that never go on.

Two turns per call, 32 calls in flight (bench/two_turn_calls.py), after a warm-up:
each call's first webhook as above, then the caller's key "2" posted to the action URL
of the answer's <Gather>, signed over that URL; callflow's second answer says goodbye and
hangs up, and the call ends. A server's steady state: calls come, go on and end.
- baseline: the same endpoint, both turns (the second answered with the goodbye document);
- callflow serve: both turns; every call ends in its second turn.

Reported: requests/s (wrk) or calls/s (two turns), p50 and p99 latency per request or per
turn (coordinated omission and all: both loads are closed loops), errors (HTTP status >=
400, socket errors, a wrong answer), the server process's CPU use, and the ratio to the
baseline. callflow's rows are checked from the outside: every call started is counted
on /metrics and in the SQLite file afterwards; a refused or replayed request, a reused
body, a missing record or a call left in flight that should have ended is an error. Any
error makes the exit code 1.

Needs wrk (installed with apt-get when missing), and the twilio and python-multipart
packages (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import importlib.util
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from server_process import BenchError
from turn_rows import (
    FLOW,
    Load,
    TwoTurnRow,
    WrkRow,
    baseline_rows,
    full_turn_row,
    two_turn_row,
)
from wrk_load import ensure_wrk

# Below this share of a core, a server that always has requests waiting is held up by
# something other than its own work (the load has the other core).
IDLE_UNDER_LOAD = 0.8


@dataclass
class Round:
    wrk_rows: list[WrkRow]
    two_turn_rows: list[TwoTurnRow]

    @property
    def rows(self) -> list[WrkRow | TwoTurnRow]:
        return [*self.wrk_rows, *self.two_turn_rows]


def run_round(load: Load) -> tuple[Round, list[str]]:
    nothing, baseline, baseline_two_turns = baseline_rows(load)
    full, full_note = full_turn_row(load, nothing.run.rate)
    two_turns, two_turn_note = two_turn_row(load)
    return Round([nothing, baseline, full], [baseline_two_turns, two_turns]), [full_note, two_turn_note]


def missing_packages() -> list[str]:
    wanted = {"twilio": "twilio", "python_multipart": "python-multipart"}
    return [package for module, package in wanted.items() if importlib.util.find_spec(module) is None]


def environment(wrk: str) -> str:
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    version = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False).stdout.split()
    return (
        f"python {sys.version.split()[0]}, uvicorn {importlib.metadata.version('uvicorn')} "
        f"(loop {loop}, http {http}), starlette {importlib.metadata.version('starlette')}, "
        f"{' '.join(version[:2]) or 'wrk'}, {os.cpu_count()} cores"
    )


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _cpu(rows: Sequence[WrkRow | TwoTurnRow]) -> str:
    shares = [row.cpu for row in rows if row.cpu is not None]
    return f"{_median(shares):.0%}" if shares else "?"


def wrk_table(rounds: Sequence[Round]) -> list[str]:
    lines = [
        "| what | requests/s | p50 ms | p99 ms | server CPU | vs baseline | ratio per round |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for index, first in enumerate(rounds[0].wrk_rows):
        rows = [one.wrk_rows[index] for one in rounds]
        ratios = [one.wrk_rows[index].run.rate / one.wrk_rows[1].run.rate for one in rounds]
        p50, p99 = _median([row.run.p50_ms for row in rows]), _median([row.run.p99_ms for row in rows])
        lines.append(
            f"| {first.label} | {_median([row.run.rate for row in rows]):,.0f} | {p50:.2f} | {p99:.2f} "
            f"| {_cpu(rows)} | {_median(ratios):.2f} | {', '.join(f'{ratio:.2f}' for ratio in ratios)} |"
        )
    return lines


def two_turn_table(rounds: Sequence[Round]) -> list[str]:
    lines = [
        "| what | calls/s | requests/s | turn 1 p50 / p99 ms | turn 2 p50 / p99 ms | server CPU "
        "| driver CPU | vs baseline | ratio per round |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for index, first in enumerate(rounds[0].two_turn_rows):
        rows = [one.two_turn_rows[index] for one in rounds]
        ratios = [one.two_turn_rows[index].run.rate / one.two_turn_rows[0].run.rate for one in rounds]
        turns = [
            f"{_median([row.run.percentile(turn, 0.5) for row in rows]):.2f} / "
            f"{_median([row.run.percentile(turn, 0.99) for row in rows]):.2f}"
            for turn in (1, 2)
        ]
        rate, driver = _median([row.run.rate for row in rows]), _median([row.driver_cpu for row in rows])
        spread = ", ".join(f"{ratio:.2f}" for ratio in ratios)
        lines.append(
            f"| {first.label} | {rate:,.0f} | {2 * rate:,.0f} | {turns[0]} | {turns[1]} | {_cpu(rows)} "
            f"| {driver:.0%} | {_median(ratios):.2f} | {spread} |"
        )
    return lines


def report(rounds: Sequence[Round], notes: Sequence[str], load: Load, argv: Sequence[str], wrk: str) -> bool:
    """Print the tables; whether the run is clean."""
    print(
        f"webhook turns, every row on {FLOW.relative_to(FLOW.parents[1])}; one uvicorn worker per server, "
        "the baseline's with callflow serve's uvicorn and garbage-collector settings; "
        f"{len(rounds)} round(s) of all rows, {load.seconds} s measured after {load.warmup} s of warm-up"
    )
    print(f"  {environment(wrk)}")
    print("  the baseline's endpoints go through Starlette's router, its webhook through Starlette's form")
    print("  parser; callflow's webhook goes straight to its guard and parses the form itself")
    print(f"  command: {shlex.join([sys.executable, str(Path(__file__)), *argv])}")
    print()
    print(f"One request per call, wrk: {load.connections} connections, {load.threads} threads")
    print("\n".join(wrk_table(rounds)))
    print()
    print(f"Two turns per call (answered, then ended by the caller's key), {load.calls_in_flight} in flight")
    print("\n".join(two_turn_table(rounds)))
    print()
    print("(medians over the rounds; each ratio against its own load's baseline in the same round;")
    print(" CPU: of one core, the server process's, and the two-turn driver's (this process);")
    print(" calls/s: calls with both turns answered)")
    for note in notes:
        print(note)
    rows = [row for one in rounds for row in one.rows]
    for row in rows:
        if row.cpu is not None and row.cpu < IDLE_UNDER_LOAD:
            print(
                f"note: the server of '{row.label}' used {row.cpu:.0%} of a core with its load waiting: "
                "it spends the rest waiting, not computing"
            )
        if isinstance(row, TwoTurnRow) and row.driver_cpu > IDLE_UNDER_LOAD:
            print(
                f"note: the two-turn driver used {row.driver_cpu:.0%} of a core for '{row.label}': "
                "near its limit, it may hold the server back"
            )
    failed = [row for row in rows if row.failed]
    for row in failed:
        for problem in [f"{row.run.errors} errors counted by the load"] * bool(row.run.errors) + row.problems:
            print(f"ERROR in {row.label}: {problem}")
    print()
    if failed:
        print("This run had errors: its figures are not for the README.")
    elif load.seconds < 10:
        print(f"A {load.seconds} s run is a smoke test: the README takes a default run's figures.")
    else:
        print("For the README: the two tables above, with the command and the machine.")
    return not failed


def whole_number(least: int, unit: str) -> Callable[[str], int]:
    """wrk takes whole seconds (it drops a fraction), so the options do too."""

    def parse(text: str) -> int:
        if not text.isdigit() or int(text) < least:
            raise argparse.ArgumentTypeError(f"expected whole {unit}, at least {least}, found {text}")
        return int(text)

    return parse


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    seconds = whole_number(1, "seconds")
    parser.add_argument("--seconds", type=seconds, default=10, help="each measured run (default 10)")
    parser.add_argument(
        "--warmup", type=whole_number(0, "seconds"), default=2, help="warm-up before each (default 2)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: one round of 2 s, after 1 s of warm-up"
    )
    parser.add_argument(
        "--rounds", type=whole_number(1, "rounds"), default=3, help="rounds of all rows (default 3)"
    )
    parser.add_argument(
        "--connections", type=whole_number(1, "connections"), default=32, help="wrk's (default 32)"
    )
    parser.add_argument(
        "--threads", type=whole_number(1, "threads"), default=2, help="wrk's threads (default 2)"
    )
    parser.add_argument(
        "--calls-in-flight",
        type=whole_number(1, "calls"),
        default=32,
        help="two-turn calls at once (default 32)",
    )
    parser.add_argument("--show-wrk", action="store_true", help="print wrk's output of each measured run")
    args = parser.parse_args(argv)
    if args.threads > args.connections:
        parser.error("--threads must be at most --connections")
    missing = missing_packages()
    if missing:
        pip = Path(sys.executable).parent / "pip"
        print(f"webhook_turn: error: the baseline needs {' and '.join(missing)}: {pip} install -e '.[bench]'")
        return 1
    # A SIGTERM (a CI time-out, say) unwinds like Ctrl-C, so the servers are stopped too.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    try:
        wrk = ensure_wrk()
        with tempfile.TemporaryDirectory(prefix="webhook-turn-") as folder:
            load = Load(
                wrk=wrk,
                seconds=2 if args.quick else args.seconds,
                warmup=1 if args.quick else args.warmup,
                connections=args.connections,
                threads=args.threads,
                calls_in_flight=args.calls_in_flight,
                folder=Path(folder),
            )
            rounds: list[Round] = []
            notes: list[str] = []
            for number in range(1 if args.quick else args.rounds):
                # A folder per round: its own stores, so no round counts another's records.
                this_round = dataclasses.replace(load, folder=load.folder / f"round-{number + 1}")
                this_round.folder.mkdir()
                one, round_notes = run_round(this_round)
                rounds.append(one)
                prefix = f"round {number + 1}: " if args.rounds > 1 and not args.quick else ""
                notes.extend(prefix + note for note in round_notes)
    except BenchError as error:
        print(f"webhook_turn: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("webhook_turn: interrupted; the servers are stopped", file=sys.stderr)
        return 130
    if args.show_wrk:
        for row in [row for one in rounds for row in one.wrk_rows]:
            print(f"== {row.label}: {shlex.join(row.run.command)}\n{row.run.output}")
    clean = report(rounds, notes, load, sys.argv[1:] if argv is None else argv, wrk)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
