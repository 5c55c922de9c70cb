"""The rows of bench/webhook_turn.py: each one server, one load, and what was checked.

Every row runs on examples/inbound-hotline.yaml: callflow serves it, and the baseline
answers callflow's own documents for it.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import sqlite3
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from baseline_server import NOTHING_PATH, WEBHOOK_PATH
from carrier_requests import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    OUR_NUMBER,
    form_headers,
    inbound_form,
    signed,
    write_pool,
)
from server_process import PROJECT, BenchError, Server, check_answer, free_port, running
from two_turn_calls import TwoTurnRun, drive_two_turn_calls
from wrk_load import WrkRun, pool_script, run_wrk, static_script

FLOW = PROJECT / "examples" / "inbound-hotline.yaml"
# The margin over a measured rate when sizing the pool of signed bodies.
POOL_MARGIN = 3.0
POOL_FLOOR_PER_SECOND = 500
# CallSid tags: no two loads of a round share a CallSid.
WARMUP_TAG, RUN_TAG, TWO_TURN_WARMUP_TAG, TWO_TURN_TAG = 1, 2, 3, 4

NOTHING = "do-nothing endpoint behind Starlette's router (ceiling)"
BASELINE = "baseline: Starlette router + form parser + twilio RequestValidator"
FULL_TURN = "callflow serve: first webhook of a new call, left waiting"
BASELINE_TWO_TURNS = "baseline: the same endpoint, both turns of a call"
TWO_TURNS = "callflow serve: call answered, then ended by the caller's key"


@dataclass(frozen=True)
class Load:
    wrk: str
    seconds: int
    warmup: int
    connections: int
    threads: int
    calls_in_flight: int
    folder: Path


@dataclass
class WrkRow:
    """One request per call, sent by wrk."""

    label: str
    run: WrkRun
    cpu: float | None
    #: Problems found outside wrk's counts (refusals, reused bodies, missing records).
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.run.errors > 0 or self.run.wraps > 0 or bool(self.problems)


@dataclass
class TwoTurnRow:
    """Two turns per call, sent by bench/two_turn_calls.py."""

    label: str
    run: TwoTurnRun
    cpu: float | None
    driver_cpu: float
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.run.errors > 0 or bool(self.problems)


def _cpu_share(before: float | None, after: float | None, seconds: float) -> float | None:
    return None if before is None or after is None else (after - before) / seconds


def measure_wrk(
    load: Load, server: Server, label: str, url: str, script: Path, warmup: Path | None
) -> WrkRow:
    """The measured run (after a warm-up run of ``warmup``), with the server's CPU use."""
    if warmup is not None and load.warmup > 0:
        run_wrk(load.wrk, url, warmup, load.warmup, load.connections, load.threads)
    before = server.cpu_seconds()
    run = run_wrk(load.wrk, url, script, load.seconds, load.connections, load.threads)
    row = WrkRow(label, run, _cpu_share(before, server.cpu_seconds(), run.seconds))
    if run.wraps:
        row.problems.append(f"a wrk thread ran out of signed bodies {run.wraps} times and sent them again")
    return row


def measure_two_turns(load: Load, server: Server, label: str, url: str) -> tuple[TwoTurnRow, int]:
    """The two-turn row after a warm-up the same way; also the calls begun in all."""
    begun, warm_problems = 0, []
    if load.warmup > 0:
        warm = drive_two_turn_calls(
            url, calls_in_flight=load.calls_in_flight, seconds=load.warmup, tag=TWO_TURN_WARMUP_TAG
        )
        begun += warm.started
        if warm.errors:
            warm_problems.append(f"the warm-up had {warm.errors} errors: {warm.error_samples}")
    before, driver_before = server.cpu_seconds(), time.process_time()
    run = drive_two_turn_calls(
        url, calls_in_flight=load.calls_in_flight, seconds=load.seconds, tag=TWO_TURN_TAG
    )
    driver_cpu = (time.process_time() - driver_before) / run.seconds
    row = TwoTurnRow(label, run, _cpu_share(before, server.cpu_seconds(), run.seconds), driver_cpu)
    row.problems.extend([*warm_problems, *(f"a call failed: {sample}" for sample in run.error_samples)])
    return row, begun + run.started


def baseline_rows(load: Load) -> tuple[WrkRow, WrkRow, TwoTurnRow]:
    """The do-nothing, baseline and two-turn baseline rows, all from one baseline server."""
    port = free_port()
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    argv = [sys.executable, str(PROJECT / "bench" / "baseline_server.py"), str(port)]
    server = Server("the baseline server", argv, port, NOTHING_PATH, load.folder / "baseline.out")
    # The baseline remembers nothing, so one signed body serves every request.
    signature, body = signed(url, inbound_form("CA" + "b" * 32))
    script = load.folder / "baseline.lua"
    script.write_text(static_script(signature, body), encoding="utf-8")
    with running(server):
        answer = httpx.post(url, content=body, headers=form_headers(signature), timeout=10)
        check_answer(answer, "<Gather", server.name)
        forged = httpx.post(url, content=body, headers=form_headers("Zm9yZ2Vk"), timeout=10)
        if forged.status_code != 401:
            raise BenchError(f"the baseline let a forged signature through ({forged.status_code})")
        nothing_url = f"http://127.0.0.1:{port}{NOTHING_PATH}"
        nothing = measure_wrk(load, server, NOTHING, nothing_url, script, script)
        baseline = measure_wrk(load, server, BASELINE, url, script, script)
        two_turns, _ = measure_two_turns(load, server, BASELINE_TWO_TURNS, url)
    return nothing, baseline, two_turns


def callflow_config(folder: Path, port: int, name: str) -> Path:
    path = folder / f"callflow-{name}.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            provider: twilio
            from_number: "{OUR_NUMBER}"
            twilio:
              account_sid: {ACCOUNT_SID}
              auth_token: {AUTH_TOKEN}
            public_url: http://127.0.0.1:{port}
            serve: {{bind: 127.0.0.1, port: {port}, path: {WEBHOOK_PATH}}}
            inbound: {{policy: open, flow: {json.dumps(str(FLOW))}}}
            # The load comes from 127.0.0.1, where a carrier's comes from many addresses:
            # one address may have it all in flight.
            webhook_security: {{max_in_flight_per_address: 64}}
            # In the wrk row every request is a new call that stays in flight: none may be refused.
            max_concurrent_calls: 1000000
            data_dir: {json.dumps(str(folder / f"data-{name}"))}
            """
        ),
        encoding="utf-8",
    )
    return path


def callflow_server(load: Load, name: str) -> Server:
    port = free_port()
    config = callflow_config(load.folder, port, name)
    script = Path(sys.executable).with_name("callflow")
    command = (
        [str(script)] if script.exists() else [sys.executable, "-c", "from runner.cli import run; run()"]
    )
    # The carrier is this benchmark, on this machine: public_url is on loopback.
    argv = [*command, "serve", "--config", str(config), "--allow-private-url"]
    return Server(f"callflow serve ({name})", argv, port, "/healthz", load.folder / f"callflow-{name}.out")


_STARTED = re.compile(r'^callflow_calls_started_total\{direction="inbound"\} (\S+)$', re.MULTILINE)
_ERRORS = re.compile(r'^callflow_errors_total\{kind="([^"]+)"\} (\S+)$', re.MULTILINE)


@dataclass(frozen=True)
class ServerCounts:
    """What the server says it did, and what its SQLite file holds, after a row."""

    started: float
    refused: dict[str, float]
    in_flight: int
    memory_mb: float | None
    records: int = 0
    live: int = 0


def server_counts(server: Server) -> ServerCounts:
    metrics = httpx.get(server.base + "/metrics", timeout=10).text
    return ServerCounts(
        started=sum(float(value) for value in _STARTED.findall(metrics)),
        refused={kind: float(value) for kind, value in _ERRORS.findall(metrics) if float(value)},
        in_flight=int(httpx.get(server.base + "/healthz", timeout=10).json()["calls_in_flight"]),
        memory_mb=server.memory_mb(),
    )


def with_records(counts: ServerCounts, database: Path) -> ServerCounts:
    """Records in the store, and those of calls still in flight; counted in SQL, as decoding
    every record through the store would take longer than the run."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        total, live = db.execute("SELECT count(*), count(live) FROM calls").fetchone()
    return ServerCounts(
        counts.started, counts.refused, counts.in_flight, counts.memory_mb, int(total), int(live)
    )


def checked(counts: ServerCounts, answered: int, in_flight_expected: int | None) -> list[str]:
    """Problems in what the server counted: ``answered`` calls were answered by the load;
    ``in_flight_expected`` None means every recorded call is still in flight."""
    problems = []
    if counts.refused:
        kinds = ", ".join(f"{kind} {count:.0f}" for kind, count in sorted(counts.refused.items()))
        problems.append(f"the server counted errors (replays count as webhook-refused): {kinds}")
    if counts.records < answered:
        problems.append(f"{answered - counts.records} answered calls left no record (replays or lost saves)")
    live_expected = counts.records if in_flight_expected is None else in_flight_expected
    if counts.live != live_expected or counts.started != counts.records:
        problems.append(
            f"of {counts.records} records {counts.live} are calls in flight, "
            f"{counts.started:.0f} calls started"
        )
    return problems


def full_turn_row(load: Load, ceiling: float) -> tuple[WrkRow, str]:
    """The first webhook of a new call per request; a note on what was checked from outside."""
    server = callflow_server(load, "waiting")
    url = f"{server.base}{WEBHOOK_PATH}"
    with running(server):
        signature, body = signed(url, inbound_form("CA" + "f" * 32))
        check_answer(
            httpx.post(url, content=body, headers=form_headers(signature), timeout=10), "<Gather", server.name
        )
        answered, bound, warm_problems = 1, ceiling * 1.25, []
        if load.warmup > 0:
            per_thread = math.ceil(bound * load.warmup / load.threads)
            warmup = load.folder / "warmup.lua"
            warmup.write_text(
                pool_script(write_pool(load.folder, "warmup", url, per_thread, load.threads, WARMUP_TAG))
            )
            warm = run_wrk(load.wrk, url, warmup, load.warmup, load.connections, load.threads)
            answered += warm.requests - warm.status_errors
            if warm.errors or warm.wraps:
                warm_problems.append(f"the warm-up had {warm.errors} errors and {warm.wraps} pool wraps")
            # Generous over the warm-up's rate, never over the ceiling's: signing takes time too.
            bound = min(bound, max(warm.rate * POOL_MARGIN, POOL_FLOOR_PER_SECOND))
        per_thread = math.ceil(bound * load.seconds / load.threads)
        script = load.folder / "full-turn.lua"
        script.write_text(pool_script(write_pool(load.folder, "run", url, per_thread, load.threads, RUN_TAG)))
        row = measure_wrk(load, server, FULL_TURN, url, script, None)
        answered += row.run.requests - row.run.status_errors
        counts = server_counts(server)
    counts = with_records(counts, load.folder / "data-waiting" / "calls.sqlite3")
    row.problems.extend([*warm_problems, *checked(counts, answered, None)])
    # wrk stops waiting for the requests in flight when its time is up; the server answers them.
    cut_off = counts.records - answered
    return row, (
        f"{FULL_TURN}: {counts.records:,} calls answered and recorded ({answered:,} answers counted by wrk, "
        f"{max(cut_off, 0):,} more after it stopped); {counts.in_flight:,} calls in flight at the end"
        + (f", server resident memory {counts.memory_mb:,.0f} MB" if counts.memory_mb is not None else "")
    )


def two_turn_row(load: Load) -> tuple[TwoTurnRow, str]:
    """Calls of two turns, a bounded number in flight; a note on what was checked from outside."""
    server = callflow_server(load, "two-turns")
    with running(server):
        row, begun = measure_two_turns(load, server, TWO_TURNS, f"{server.base}{WEBHOOK_PATH}")
        counts = server_counts(server)
    counts = with_records(counts, load.folder / "data-two-turns" / "calls.sqlite3")
    row.problems.extend(checked(counts, begun - row.run.errors, 0))
    if counts.in_flight:
        row.problems.append(f"{counts.in_flight} calls still in flight after both turns of every call")
    return row, (
        f"{TWO_TURNS}: {counts.records:,} calls recorded, {counts.in_flight} in flight at the end"
        + (f", server resident memory {counts.memory_mb:,.0f} MB" if counts.memory_mb is not None else "")
    )
