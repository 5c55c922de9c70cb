"""Benchmark: consult turns through `callflow serve`, against its plain gather turn.

    .venv/bin/python bench/consult_turns.py [--seconds 10] [--rounds 3] [--turns-per-call 10]

Two rows, each on a `callflow serve` of its own (one uvicorn worker, one process) with
the same config but the agent, the same SQLite store, the same signature checking and
the same load (bench/speech_turns.py: 32 callers, each placing calls of 10 speech turns
one after another, the call ended by Twilio's status webhook):
- gather turn: a conversation flow whose one step says "Sure." and gathers speech, and
  loops back to itself; the caller's words are answered with the next gather;
- consult turn: the same flow shape with a consult step (max_turns large); the caller's
  words are answered only once the agent has replied, with the reply ("Sure.") said
  and the next listen. The agent is bench/agent_stand_in.py, in a process of its own,
  answering every completion at once: what is measured is callflow's consult machinery
  (the chat request built and sent, the reply read for its spoken words, the reply
  applied to the call), not a model.
The aim of issue 13: the consult machinery adds under 20 % to a turn.

Both rows run once per round (3 by default); the report gives each row's medians over
the rounds and the ratio of turns per second within each round. Reported: turns/s, p50
and p99 per turn, the server's CPU (share of a core, and ms per turn, first and status
webhooks included), the agent stand-in's CPU, errors. Any error makes the exit code 1.

Needs the twilio package (`pip install -e '.[bench]'`); no wrk.
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import statistics
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from agent_stand_in import MODELS_PATH, SPOKEN
from carrier_requests import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER
from server_process import PROJECT, BenchError, Server, free_port, running
from speech_turns import SpeechTurnRun, drive_speech_turns

WEBHOOK_PATH = "/voice/webhook"
GATHER, CONSULT = "gather turn (no agent)", "consult turn (agent stand-in)"
_FLOW_HEAD = """\
version: 1
name: {name}
mode: conversation
greeting: "Hello."
defaults: {{input: [speech], timeout: 5, retries: 0}}
steps:
  listen:
"""
FLOWS = {
    GATHER: _FLOW_HEAD.format(name="gather-turns")
    + f'    say: "{SPOKEN}"\n    gather: {{input: [speech]}}\n    on: {{any: listen, no_input: listen}}\n',
    CONSULT: _FLOW_HEAD.format(name="consult-turns")
    + '    consult: {prompt: "Answer briefly.", max_turns: 1000000}\n    hangup: true\n',
}
# CallSid tags: no two loads of a round share a CallSid.
WARMUP_TAG, RUN_TAG = 21, 22


@dataclass(frozen=True)
class Load:
    seconds: int
    warmup: int
    calls_in_flight: int
    turns_per_call: int
    folder: Path


@dataclass
class Row:
    label: str
    run: SpeechTurnRun
    cpu_seconds: float | None
    agent_cpu_seconds: float | None

    def share(self, seconds: float | None) -> float | None:
        return None if seconds is None else seconds / self.run.seconds

    def ms_per_turn(self, seconds: float | None) -> float | None:
        return None if seconds is None or not self.run.turns else seconds * 1000 / self.run.turns


def _config(load: Load, label: str, port: int, agent_port: int) -> Path:
    name = "consult" if label == CONSULT else "gather"
    flow = load.folder / f"{name}.yaml"
    flow.write_text(FLOWS[label], encoding="utf-8")
    agent = f"agent: {{base_url: http://127.0.0.1:{agent_port}/v1, model: stand-in}}\n"
    config = load.folder / f"callflow-{name}.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            provider: twilio
            from_number: "{OUR_NUMBER}"
            twilio: {{account_sid: {ACCOUNT_SID}, auth_token: {AUTH_TOKEN}}}
            public_url: http://127.0.0.1:{port}
            serve: {{bind: 127.0.0.1, port: {port}, path: {WEBHOOK_PATH}}}
            inbound: {{policy: open, flow: "{flow}"}}
            # The load comes from 127.0.0.1, where a carrier's comes from many addresses.
            webhook_security: {{max_in_flight_per_address: 64}}
            data_dir: "{load.folder / f"data-{name}"}"
            """
        )
        + (agent if label == CONSULT else ""),
        encoding="utf-8",
    )
    return config


def measure(load: Load, label: str, agent: Server) -> Row:
    port = free_port()
    config = _config(load, label, port, agent.port)
    script = Path(sys.executable).with_name("callflow")
    command = (
        [str(script)] if script.exists() else [sys.executable, "-c", "from runner.cli import run; run()"]
    )
    argv = [*command, "serve", "--config", str(config), "--allow-private-url"]
    server = Server(f"callflow serve ({label})", argv, port, "/healthz", load.folder / f"{port}.out")
    url = f"{server.base}{WEBHOOK_PATH}"
    drive = {"calls_in_flight": load.calls_in_flight, "turns": load.turns_per_call, "expected": SPOKEN}
    with running(server):
        if load.warmup > 0:
            warm = drive_speech_turns(url, seconds=load.warmup, tag=WARMUP_TAG, **drive)  # type: ignore[arg-type]
            if warm.errors:
                raise BenchError(f"{label}: the warm-up had {warm.errors} errors: {warm.error_samples}")
        before, agent_before = server.cpu_seconds(), agent.cpu_seconds()
        run = drive_speech_turns(url, seconds=load.seconds, tag=RUN_TAG, **drive)  # type: ignore[arg-type]
        after, agent_after = server.cpu_seconds(), agent.cpu_seconds()
    used = None if before is None or after is None else after - before
    agent_used = None if agent_before is None or agent_after is None else agent_after - agent_before
    return Row(label, run, used, agent_used)


def _median(values: list[float | None]) -> str:
    known = [value for value in values if value is not None]
    return f"{statistics.median(known):.2f}" if known else "?"


def _percent(values: list[float | None]) -> str:
    known = [value for value in values if value is not None]
    return f"{statistics.median(known):.0%}" if known else "?"


def report(rounds: list[dict[str, Row]], load: Load, argv: list[str]) -> bool:
    """Print the table; whether the run is clean."""
    print(
        f"speech turns through callflow serve, {len(rounds)} round(s), {load.seconds} s measured after "
        f"{load.warmup} s of warm-up; {load.calls_in_flight} calls in flight of {load.turns_per_call} "
        "turns each; one uvicorn worker per server"
    )
    print(f"  command: {' '.join([sys.executable, str(Path(__file__)), *argv])}")
    print()
    print(
        "| what | turns/s | p50 ms | p99 ms | server CPU | server CPU ms/turn | agent CPU "
        "| agent CPU ms/turn | vs gather | ratio per round |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for label in (GATHER, CONSULT):
        rows = [one[label] for one in rounds]
        ratios = [
            one[label].run.rate / one[GATHER].run.rate if one[GATHER].run.rate else 0.0 for one in rounds
        ]
        agent = label == CONSULT
        print(
            f"| {label} | {statistics.median(row.run.rate for row in rows):,.0f} "
            f"| {_median([row.run.percentile(0.5) for row in rows])} "
            f"| {_median([row.run.percentile(0.99) for row in rows])} "
            f"| {_percent([row.share(row.cpu_seconds) for row in rows])} "
            f"| {_median([row.ms_per_turn(row.cpu_seconds) for row in rows])} "
            f"| {_percent([row.share(row.agent_cpu_seconds) for row in rows]) if agent else '-'} "
            f"| {_median([row.ms_per_turn(row.agent_cpu_seconds) for row in rows]) if agent else '-'} "
            f"| {statistics.median(ratios):.2f} | {', '.join(f'{ratio:.2f}' for ratio in ratios)} |"
        )
    print()
    print("(medians over the rounds; CPU as a share of one core; ms/turn: CPU over the turns answered,")
    print(" the calls' first and status webhooks included; the load runs in this process)")
    ratio = statistics.median(
        one[CONSULT].run.rate / one[GATHER].run.rate for one in rounds if one[GATHER].run.rate
    )
    added = 1 / ratio - 1 if ratio else float("inf")
    print(f"a consult turn takes {added:.0%} longer than a gather turn (aim: under 20 %)")
    failed = [row for one in rounds for row in one.values() if row.run.errors]
    for row in failed:
        for sample in row.run.error_samples:
            print(f"ERROR in {row.label}: {sample} ({row.run.errors} errors in all)")
    if failed:
        print("This run had errors: its figures are not for the README.")
    elif load.seconds < 10:
        print(f"A {load.seconds} s run is a smoke test: the README takes a default run's figures.")
    return not failed


def run_rounds(load: Load, rounds: int) -> list[dict[str, Row]]:
    agent_port = free_port()
    argv = [sys.executable, str(PROJECT / "bench" / "agent_stand_in.py"), str(agent_port)]
    agent = Server("the agent stand-in", argv, agent_port, MODELS_PATH, load.folder / "agent.out")
    results: list[dict[str, Row]] = []
    with running(agent):
        for number in range(rounds):
            # A folder per round: its own stores, so no round counts another's records.
            folder = load.folder / f"round-{number + 1}"
            folder.mkdir()
            this_round = Load(load.seconds, load.warmup, load.calls_in_flight, load.turns_per_call, folder)
            results.append({label: measure(this_round, label, agent) for label in (GATHER, CONSULT)})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seconds", type=int, default=10, help="each measured run (default 10; 3 is a smoke run)"
    )
    parser.add_argument("--warmup", type=int, default=2, help="warm-up before each (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both rows (default 3)")
    parser.add_argument("--calls-in-flight", type=int, default=32, help="callers at once (default 32)")
    parser.add_argument("--turns-per-call", type=int, default=10, help="speech turns per call (default 10)")
    args = parser.parse_args(argv)
    if min(args.seconds, args.rounds, args.calls_in_flight, args.turns_per_call) < 1 or args.warmup < 0:
        parser.error("--seconds, --rounds, --calls-in-flight and --turns-per-call take at least 1")
    if importlib.util.find_spec("twilio") is None:
        pip = Path(sys.executable).parent / "pip"
        print(f"consult_turns: error: the load signs with the twilio package: {pip} install -e '.[bench]'")
        return 1
    # A SIGTERM (a CI time-out, say) unwinds like Ctrl-C, so the servers are stopped too.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    try:
        with tempfile.TemporaryDirectory(prefix="consult-turns-") as folder:
            load = Load(args.seconds, args.warmup, args.calls_in_flight, args.turns_per_call, Path(folder))
            rounds = run_rounds(load, args.rounds)
    except BenchError as error:
        print(f"consult_turns: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("consult_turns: interrupted; the servers are stopped", file=sys.stderr)
        return 130
    return 0 if report(rounds, load, sys.argv[1:] if argv is None else argv) else 1


if __name__ == "__main__":
    sys.exit(main())
