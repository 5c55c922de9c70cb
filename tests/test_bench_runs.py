"""The benchmarks in bench/ still run against the code as it is, on tiny loads.

No figure is checked (the machine is shared); that the rows run, on the call they say,
with nothing refused, lost or left in flight, is.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import PROJECT

BENCH = PROJECT / "bench"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], ModuleType]:
    """Imports a benchmark's module as its script does, with bench/ first on the path."""
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module


def test_simulate_calls_measures_each_row_against_both_machines() -> None:
    argv = [
        sys.executable,
        str(BENCH / "simulate_calls.py"),
        "--calls",
        "20",
        "--in-flight",
        "20",
        "--rounds",
        "1",
    ]
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = [line.split(" | ")[0] for line in result.stdout.splitlines() if line.startswith("| ")]
    assert rows == [
        "| what",
        "| ---",
        "| stock transitions.Machine: the engine's machines, 9 moves",
        "| BareMachine alone: the same machines and moves, no flow",
        "| engine: the whole simulated call, no storage",
        "| engine + the call's record saved to SQLite (WAL)",
    ]
    assert "what the engine adds to the bare machine's moves" in result.stdout


def test_two_turn_calls_each_end_in_their_second_turn_on_callflow_serve(
    bench: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    turn_rows = bench("turn_rows")
    load = turn_rows.Load(
        wrk="wrk", seconds=1, warmup=0, connections=2, threads=1, calls_in_flight=2, folder=tmp_path
    )
    row, note = turn_rows.two_turn_row(load)
    assert (row.run.errors, row.problems) == (0, [])
    assert row.run.finished > 0
    assert len(row.run.first_ms) == len(row.run.second_ms) == row.run.finished
    assert f"{row.run.started:,} calls recorded, 0 in flight at the end" in note


def test_a_campaign_without_pace_limit_ends_every_recipient_completed_through_the_server(
    bench: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    campaign_calls = bench("campaign_calls")
    row = campaign_calls.campaign_row(tmp_path, 20, concurrency=4, per_address=64, profile=None)
    assert row.problems == []
    assert (row.recipients, row.calls) == (20, 20)
    assert row.webhooks_per_call == 3


def test_a_campaign_via_the_twilio_provider_is_played_in_full_by_the_carrier_in_another_process(
    bench: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    campaign_calls = bench("campaign_calls")
    row = campaign_calls.campaign_row(
        tmp_path, 20, concurrency=4, per_address=64, profile=None, via=campaign_calls.CARRIER
    )
    assert row.problems == []
    assert (row.recipients, row.calls) == (20, 20)
    assert row.webhooks_per_call == 3
    assert row.carrier_cpu_seconds is not None


def test_consult_turns_are_answered_with_the_agents_reply_against_gather_turns(
    bench: Callable[[str], ModuleType], capsys: pytest.CaptureFixture[str]
) -> None:
    consult_turns = bench("consult_turns")
    argv = [
        "--seconds",
        "1",
        "--warmup",
        "0",
        "--rounds",
        "1",
        "--calls-in-flight",
        "2",
        "--turns-per-call",
        "3",
    ]
    assert consult_turns.main(argv) == 0
    shown = capsys.readouterr().out
    rows = [line.split(" | ")[0] for line in shown.splitlines() if line.startswith("| ")]
    assert rows == ["| what", "| ---", "| gather turn (no agent)", "| consult turn (agent stand-in)"]
    assert "ERROR" not in shown


def test_media_streams_are_carried_through_callflow_serve_in_a_quick_run() -> None:
    # A process of its own: the benchmark pins itself to a core, and pytest must not be.
    argv = [sys.executable, str(BENCH / "media_streams.py"), "--quick"]
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line.split(" | ")[0] for line in result.stdout.splitlines() if line.startswith("| ")]
    assert rows == ["| streams", "| ---:", "| 2", "| 4"]
    assert "ERROR" not in result.stdout
