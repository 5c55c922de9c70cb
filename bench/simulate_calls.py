"""Benchmark: simulated calls per second, and memory per in-flight call.

    .venv/bin/python bench/simulate_calls.py [--calls 10000] [--in-flight 10000]

Runs in one process on one core. Every figure is printed with a baseline measured in
the same run, so the ratio means something on a shared, noisy machine:

- baseline: the floor of the design: a bare ``transitions`` machine per flow, adding
  a model, firing the same number of state changes a call makes, removing it;
- engine: simulated calls of examples/appointment-reminder.yaml (the caller presses 1),
  with template rendering, matching, transcript and turn records, no storage;
- engine + store: the same, each call's record saved to a fresh SQLite store (WAL);
- memory: calls answered and waiting at the menu, all held in flight at once.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
import tracemalloc
from pathlib import Path

from transitions import Machine

from flows import load_flow
from runner.engine import FlowEngine, bind_inputs
from runner.script import parse_inputs
from runner.simulate import simulate
from runner.store import open_store
from runner.types import Answered

FLOW = Path(__file__).resolve().parent.parent / "examples" / "appointment-reminder.yaml"
VALUES = {"name": "Ada", "phone": "+14155550100"}


def _rate(calls: int, seconds: float) -> float:
    return calls / seconds if seconds > 0 else float("inf")


def baseline(calls: int) -> float:
    """Calls per second of the bare state machine work one simulated call does."""

    class Model:
        pass

    lifecycle = Machine(
        model=None,
        states=["initiated", "ringing", "answered", "speaking", "listening", "hangup-bot"],
        initial="initiated",
        transitions=[
            {"trigger": "ring", "source": "initiated", "dest": "ringing"},
            {"trigger": "answer", "source": "ringing", "dest": "answered"},
            {"trigger": "speak", "source": ["answered", "listening"], "dest": "speaking"},
            {"trigger": "listen", "source": "speaking", "dest": "listening"},
            {"trigger": "end", "source": "speaking", "dest": "hangup-bot"},
        ],
        auto_transitions=False,
    )
    steps = Machine(
        model=None,
        states=["pending", "menu", "confirmed", "ended"],
        initial="pending",
        transitions=[
            {"trigger": "menu", "source": "pending", "dest": "menu"},
            {"trigger": "confirmed", "source": "menu", "dest": "confirmed"},
            {"trigger": "end", "source": "confirmed", "dest": "ended"},
        ],
        auto_transitions=False,
        model_attribute="step",
    )
    start = time.perf_counter()
    for _ in range(calls):
        model = Model()
        lifecycle.add_model(model)
        steps.add_model(model)
        for trigger in ("ring", "answer", "speak", "listen", "speak", "end"):
            lifecycle.events[trigger].trigger(model)
        for trigger in ("menu", "confirmed", "end"):
            steps.events[trigger].trigger(model)
        lifecycle.remove_model(model)
        steps.remove_model(model)
    return _rate(calls, time.perf_counter() - start)


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--in-flight", type=int, default=10_000)
    args = parser.parse_args()
    engine = FlowEngine(load_flow(FLOW))
    engine_only(engine, min(args.calls, 500))  # warm up: imports, caches, the allocator
    floor = baseline(args.calls)
    bare = engine_only(engine, args.calls)
    stored = with_store(engine, args.calls)
    memory = memory_per_call(engine, args.in_flight)
    print(f"simulated calls of {FLOW.name}, {args.calls} each, one process")
    for label, rate in (
        ("baseline (bare transitions work of one call)", floor),
        ("engine, no storage", bare),
        ("engine + SQLite record per call", stored),
    ):
        print(f"  {label:<46} {rate:8,.0f} calls/s  ({rate / floor:.2f} x baseline)")
    print(f"memory per in-flight call ({args.in_flight} answered, waiting): {memory / 1024:.2f} KB")


if __name__ == "__main__":
    main()
