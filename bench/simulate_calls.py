"""Benchmark: simulated calls per second, and memory per in-flight call.

    .venv/bin/python bench/simulate_calls.py [--calls 10000] [--in-flight 10000] [--rounds 3]

Runs in one process on one core. Four rows, all run once per round (3 by default); the
report gives each row's median rate over the rounds and its ratios against the two state
machine rows of its own round, so a neighbour's load on a shared machine moves a row and
its baselines alike. Every row does the state changes of the same call:
examples/appointment-reminder.yaml, answered, the caller presses 1, the bot says "See you then."
and hangs up: nine moves (ring, answer, speak, to:menu, listen, speak, to:confirmed, the
lifecycle's end, the steps' end) on the engine's two machines (the call's lifecycle and
the flow's steps).

- stock Machine: the library's ``transitions.Machine`` built with the engine's states
  and transitions; per call, the call added to both machines (the library binds its
  convenience methods, one per trigger and per state, to the call, and logs a warning
  for the two the second machine finds taken), the nine moves, the call removed from both;
- BareMachine alone: the same machines, states and moves on the engine's ``BareMachine``
  (which binds nothing and moves a call straight when nothing hooks into the move), with
  no flow around it. This is the floor the engine stands on: the engine's cost over it is
  the honest figure of what the engine adds;
- engine: the whole simulated call through the engine (``runner.simulate``): the same
  moves, plus templates rendered, the caller's key matched, the transcript and the turn
  records, no storage;
- engine + store: the same, each call's record saved to a fresh SQLite store (WAL).

Memory: calls answered and waiting at the menu, all held in flight at once.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from transitions import Machine

from flows import load_flow
from runner.engine import LIFECYCLE_MACHINE_CONFIG, BareMachine, FlowEngine, bind_inputs
from runner.script import parse_inputs
from runner.simulate import simulate
from runner.store import open_store
from runner.types import Answered, EndReason

FLOW = Path(__file__).resolve().parent.parent / "examples" / "appointment-reminder.yaml"
VALUES = {"name": "Ada", "phone": "+14155550100"}
# The moves the engine makes for one simulated call of FLOW with the caller pressing 1,
# in order, each with the machine it is made on.
CALL_MOVES = (
    ("lifecycle", "ring"),
    ("lifecycle", "answer"),
    ("lifecycle", "speak"),
    ("steps", "to:menu"),
    ("lifecycle", "listen"),
    ("lifecycle", "speak"),
    ("steps", "to:confirmed"),
    ("lifecycle", f"end:{EndReason.HANGUP_BOT.value}"),
    ("steps", "end"),
)
STOCK = "stock transitions.Machine: the engine's machines, 9 moves"
BARE = "BareMachine alone: the same machines and moves, no flow"
ENGINE = "engine: the whole simulated call, no storage"
STORED = "engine + the call's record saved to SQLite (WAL)"


def _rate(calls: int, seconds: float) -> float:
    return calls / seconds if seconds > 0 else float("inf")


def machines_only(make: Callable[..., Machine], engine: FlowEngine, calls: int) -> float:
    """Calls per second of the state changes alone, on machines that ``make`` builds."""
    machines = {
        "lifecycle": make(**LIFECYCLE_MACHINE_CONFIG),
        "steps": make(**engine.flow.machine_config(), model_attribute="step"),
    }
    lifecycle, steps = machines["lifecycle"], machines["steps"]
    moves = [machines[name].events[trigger] for name, trigger in CALL_MOVES]
    ended = (EndReason.HANGUP_BOT.value, engine.flow.machine_config()["states"][-1])

    class Model:
        """A call as the machines see it: its state on each, nothing else."""

        lifecycle: str
        step: str

    start = time.perf_counter()
    for _ in range(calls):
        model = Model()
        lifecycle.add_model(model)
        steps.add_model(model)
        for event in moves:
            event.trigger(model)
        lifecycle.remove_model(model)
        steps.remove_model(model)
    rate = _rate(calls, time.perf_counter() - start)
    assert (model.lifecycle, model.step) == ended, vars(model)
    return rate


def stock_machine(**config: Any) -> Machine:
    return Machine(model=None, auto_transitions=False, **config)


def engine_only(engine: FlowEngine, calls: int) -> float:
    variables = bind_inputs(engine.flow, VALUES)
    script = parse_inputs(["1"])
    start = time.perf_counter()
    for number in range(calls):
        record = simulate(engine, variables, script, call_id=f"bench-{number}")
        assert record.path == ["menu", "confirmed"]
    return _rate(calls, time.perf_counter() - start)


def with_store(engine: FlowEngine, calls: int) -> float:
    variables = bind_inputs(engine.flow, VALUES)
    script = parse_inputs(["1"])
    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder)) as store:
        start = time.perf_counter()
        for number in range(calls):
            store.save(simulate(engine, variables, script, call_id=f"bench-{number}"))
        rate = _rate(calls, time.perf_counter() - start)
        assert store.get(f"bench-{calls - 1}") is not None
    return rate


def memory_per_call(engine: FlowEngine, in_flight: int) -> float:
    """Bytes per call held answered and waiting for the caller."""
    variables = bind_inputs(engine.flow, VALUES)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    held = []
    for number in range(in_flight):
        call = engine.new_call(call_id=f"mem-{number}", variables=variables, now=0.0)
        engine.handle(call, Answered(id="answered", at=1.0))
        held.append(call)
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    for call in held:
        engine.release(call)
    return grown / in_flight


def one_round(engine: FlowEngine, calls: int) -> dict[str, float]:
    return {
        STOCK: machines_only(stock_machine, engine, calls),
        BARE: machines_only(BareMachine, engine, calls),
        ENGINE: engine_only(engine, calls),
        STORED: with_store(engine, calls),
    }


def report(rounds: Sequence[dict[str, float]], calls: int, memory: float, in_flight: int) -> None:
    print(f"simulated calls of {FLOW.name} (the caller presses 1), {calls:,} a row, one process, one core;")
    print(f"{len(rounds)} round(s) of all rows; medians, each ratio against its own round's rows")
    print()
    print("| what | calls/s | µs/call | vs stock Machine | vs BareMachine | vs BareMachine per round |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for label in rounds[0]:
        rate = statistics.median(one[label] for one in rounds)
        over_stock = statistics.median(one[label] / one[STOCK] for one in rounds)
        over_bare = [one[label] / one[BARE] for one in rounds]
        spread = ", ".join(f"{ratio:.2f}" for ratio in over_bare)
        print(
            f"| {label} | {rate:,.0f} | {1e6 / rate:.1f} | {over_stock:.2f} "
            f"| {statistics.median(over_bare):.2f} | {spread} |"
        )
    print()
    engine_cost = statistics.median(1e6 / one[ENGINE] - 1e6 / one[BARE] for one in rounds)
    print(f"what the engine adds to the bare machine's moves: {engine_cost:.1f} µs a call (median)")
    print(f"memory per in-flight call ({in_flight:,} answered, waiting at the menu): {memory / 1024:.2f} KB")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=10_000, help="calls per row and round (default 10000)")
    parser.add_argument("--in-flight", type=int, default=10_000, help="calls held for the memory figure")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of all rows, for medians (default 3)")
    args = parser.parse_args(argv)
    if min(args.calls, args.in_flight, args.rounds) < 1:
        parser.error("--calls, --in-flight and --rounds take a whole number, at least 1")
    engine = FlowEngine(load_flow(FLOW))
    # Warm up: imports, caches, the allocator.
    one_round(engine, min(args.calls, 500))
    rounds = [one_round(engine, args.calls) for _ in range(args.rounds)]
    report(rounds, args.calls, memory_per_call(engine, args.in_flight), args.in_flight)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
