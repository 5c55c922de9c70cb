"""Benchmark: the full webhook turn of `callflow serve` under load, against a baseline.

    .venv/bin/python bench/webhook_turn.py [--seconds 10] [--rounds 3] [--quick]

Four rows, side by side in one run, each one uvicorn worker in a process of
its own, loaded by wrk (32 connections, 2 threads) in another process after a warm-up.
All four run once per round (3 by default), and the report gives each row's medians over
the rounds, each ratio against the baseline of its own round: on a shared machine a
neighbour's load moves a single run's figures by 10-30 %.

- do-nothing: a bare Starlette endpoint that answers fixed TwiML without reading the
  request: the ceiling of one uvicorn worker on this machine;
- baseline: a bare Starlette endpoint that parses the form (`await request.form()`),
  checks the X-Twilio-Signature with the official `twilio` package's
  `RequestValidator.validate`, and answers fixed TwiML; every request is the same
  signed body (it keeps no memory of requests);
- full turn: `callflow serve` with provider twilio (a made-up account sid and auth
  token, so signatures are real HMAC-SHA1), `public_url` on the local address, and
  `inbound: {policy: open, flow: examples/inbound-hotline.yaml}`. Every request is the
  first webhook of a new inbound call (its own CallSid, signed in advance by the official
  `RequestValidator`): signature check, the replay cache (the answer kept, deflated,
  for ten minutes), the carrier call id looked up in the store, the engine answering the
  call, the TwiML rendered, the call's record (and the answer) written to SQLite. No
  request repeats, so none is a replay, and every call stays in flight (waiting at the
  menu) to the end of the run.
- full turn, steady: the same, with a flow that greets the caller and hangs up, so each
  call ends in its first turn and none stays in flight: the server's steady state,
  without the memory (and garbage collection) of thousands of waiting calls.

Reported per row: requests/s (wrk's), p50 and p99 latency (wrk's, coordinated
omission and all), errors (HTTP status >= 400 and socket errors), the server process's
CPU use, and the ratio to the baseline. The full turn is also checked from the
outside: every call started is counted on /metrics, and every record counted in the
SQLite file afterwards; a refused or replayed request, a reused body or a missing record
is an error. Any error makes the exit code 1.

The signed bodies are made before each full-turn run and read by wrk's Lua script, one
file per wrk thread, so no body is sent twice. The pool for the warm-up is sized from the
do-nothing rate; the one for the measured run from the warm-up's rate (3x, at most the
do-nothing rate) times --seconds.

Needs wrk (installed with apt-get when missing), and the twilio and python-multipart
packages (Starlette parses forms with python-multipart).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.metadata
import importlib.util
import json
import math
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    # twilio ships no type information.
    from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

PROJECT = Path(__file__).resolve().parent.parent
FLOW = PROJECT / "examples" / "inbound-hotline.yaml"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
WEBHOOK_PATH = "/voice/webhook"
NOTHING_PATH = "/nothing"
CALLER = "+14155550111"
OUR_NUMBER = "+14155550199"
# callflow's answer to the hotline's first webhook, so that all rows send the same bytes.
TWIML = """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Gather input="dtmf speech" numDigits="1" finishOnKey="#" timeout="5" hints="report,status" \
action="http://127.0.0.1:3334/voice/webhook?call_id=call-0123456789abcdef&amp;turn=0123456789ab" \
method="POST" actionOnEmptyResult="true">
    <Say>You have reached the outage hotline.</Say>
    <Say>To report an outage, press 1 or say report. To hear the current status, press 2 or say status.</Say>
  </Gather>
</Response>
"""
# The margin over a measured rate when sizing the pool of signed bodies.
POOL_MARGIN = 3.0
POOL_FLOOR_PER_SECOND = 500
# Below this share of a core, a server that always has requests waiting is held up by
# something other than its own work (wrk has the other core).
IDLE_UNDER_LOAD = 0.8


class BenchError(Exception):
    """The benchmark cannot run or finish; the message says why."""


# -- the baseline server (runs in its own process: this file with --serve-baseline) ------


def official_validator() -> RequestValidator:
    # Imported here: twilio is a test extra, and --help should work without it.
    from twilio.request_validator import RequestValidator

    return RequestValidator(AUTH_TOKEN)


def baseline_app() -> Starlette:
    """The baseline and do-nothing endpoints in a bare Starlette app."""
    validator = official_validator()

    async def baseline(request: Request) -> Response:
        form = await request.form()
        params = {name: value for name, value in form.items() if isinstance(value, str)}
        signature = request.headers.get("x-twilio-signature", "")
        if not validator.validate(str(request.url), params, signature):
            return PlainTextResponse("the signature does not match", status_code=401)
        return Response(TWIML, media_type="application/xml")

    async def nothing(request: Request) -> Response:
        return Response(TWIML, media_type="application/xml")

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, baseline, methods=["POST"]),
            Route(NOTHING_PATH, nothing, methods=["GET", "POST"]),
        ]
    )


def serve_baseline(port: int) -> None:
    import uvicorn

    # The same settings callflow's server runs uvicorn with (runner/server/_run.py).
    uvicorn.run(
        baseline_app(), host="127.0.0.1", port=port, lifespan="off", log_level="warning", access_log=False
    )


# -- signed requests -----------------------------------------------------------------------


def inbound_form(call_sid: str) -> dict[str, str]:
    """What Twilio posts to the voice URL when a call comes in."""
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": "ringing",
        "Called": OUR_NUMBER,
        "Caller": CALLER,
        "Direction": "inbound",
        "From": CALLER,
        "To": OUR_NUMBER,
    }


def signed(url: str, form: dict[str, str]) -> tuple[str, str]:
    """The X-Twilio-Signature and the body, signed by the official library (an oracle
    independent of callflow's own code)."""
    return official_validator().compute_signature(url, form), urlencode(form)


def write_pool(folder: Path, name: str, url: str, per_thread: int, threads: int, tag: int) -> str:
    """Files ``{name}-{thread}.txt`` of signed bodies, one per line; the files' prefix.

    ``tag`` goes into every CallSid, so two pools never share one.
    """
    validator = official_validator()
    # Only the CallSid changes, and it never needs escaping: one encoding, then a template.
    _, template = signed(url, inbound_form("{sid}"))
    template = template.replace("%7Bsid%7D", "{sid}")
    for thread in range(threads):
        lines = []
        for number in range(per_thread):
            sid = f"CA{tag:08x}{thread:08x}{number:016x}"
            signature = validator.compute_signature(url, inbound_form(sid))
            lines.append(f"{signature}\t{template.format(sid=sid)}\n")
        (folder / f"{name}-{thread}.txt").write_text("".join(lines), encoding="ascii")
    return str(folder / name)


# -- wrk --------------------------------------------------------------------------------------


# setup() numbers the threads in the main Lua state; done() reads each thread's globals back.
# A string inserted here is JSON-quoted: for this ASCII text that is a valid Lua literal.
_LUA_COMMON = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function done(summary, latency, requests)
  local wraps = 0
  for _, thread in ipairs(threads) do
    wraps = wraps + (thread:get("wraps") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d " ..
    "status=%d connect=%d read=%d write=%d timeout=%d wraps=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout, wraps))
end
"""

_LUA_STATIC = """\
wrk.body = {body}
wrk.headers["X-Twilio-Signature"] = {signature}
function init(args)
  wraps = 0
end
"""

# A thread that runs out of bodies starts its file again: those requests are replays,
# counted in `wraps` and reported as errors (the pool was too small).
_LUA_POOL = """\
local headers = {{["Content-Type"] = "application/x-www-form-urlencoded"}}

function init(args)
  wraps = 0
  signatures, bodies = {{}}, {{}}
  for line in io.lines({prefix} .. "-" .. id .. ".txt") do
    local tab = line:find("\\t", 1, true)
    signatures[#signatures + 1] = line:sub(1, tab - 1)
    bodies[#bodies + 1] = line:sub(tab + 1)
  end
  count, next_index = #bodies, 0
end

function request()
  next_index = next_index + 1
  if next_index > count then
    next_index, wraps = 1, wraps + 1
  end
  headers["X-Twilio-Signature"] = signatures[next_index]
  return wrk.format(nil, nil, headers, bodies[next_index])
end
"""


def static_script(signature: str, body: str) -> str:
    return _LUA_COMMON + _LUA_STATIC.format(body=json.dumps(body), signature=json.dumps(signature))


def pool_script(prefix: str) -> str:
    return _LUA_COMMON + _LUA_POOL.format(prefix=json.dumps(prefix))


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found is not None:
        return found
    print("wrk is not installed: apt-get update && apt-get install -y wrk", flush=True)
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise BenchError(
                f"cannot install wrk ({shlex.join(command)}: {error}); install it by hand"
            ) from None
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-5:])
            raise BenchError(
                f"cannot install wrk: {shlex.join(command)} exited {result.returncode}:\n{tail}\n"
                "install wrk by hand (Debian package 'wrk') and run again"
            )
    found = shutil.which("wrk")
    if found is None:
        raise BenchError("apt-get installed wrk, but it is not on PATH")
    return found


@dataclass
class WrkRun:
    command: list[str]
    output: str
    requests: int
    seconds: float
    rate: float
    p50_ms: float
    p99_ms: float
    status_errors: int
    socket_errors: int
    wraps: int

    @property
    def errors(self) -> int:
        return self.status_errors + self.socket_errors


_BENCH_LINE = re.compile(r"^BENCH (.*)$", re.MULTILINE)
_RATE_LINE = re.compile(r"^Requests/sec:\s+([0-9.]+)", re.MULTILINE)
_NON_2XX_LINE = re.compile(r"^\s*Non-2xx or 3xx responses: (\d+)", re.MULTILINE)


def run_wrk(wrk: str, url: str, script: Path, seconds: int, connections: int, threads: int) -> WrkRun:
    command = [
        wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url,
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds + 120)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish: {shlex.join(command)}") from None
    found = _BENCH_LINE.search(result.stdout)
    if result.returncode != 0 or found is None:
        raise BenchError(f"wrk failed ({shlex.join(command)}):\n{result.stdout}{result.stderr}")
    values = {key: int(value) for key, value in (item.split("=") for item in found.group(1).split())}
    elapsed = values["duration_us"] / 1e6
    rate = _RATE_LINE.search(result.stdout)
    non_2xx = _NON_2XX_LINE.search(result.stdout)
    return WrkRun(
        command=command,
        output=result.stdout + result.stderr,
        requests=values["requests"],
        seconds=elapsed,
        rate=float(rate.group(1)) if rate else values["requests"] / elapsed,
        p50_ms=values["p50_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        # wrk's status errors are its "Non-2xx or 3xx responses" (status >= 400).
        status_errors=max(values["status"], int(non_2xx.group(1)) if non_2xx else 0),
        socket_errors=sum(values[key] for key in ("connect", "read", "write", "timeout")),
        wraps=values["wraps"],
    )


# -- server processes -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A server process, its output in a file; stopped on exit whatever happened."""

    def __init__(self, name: str, argv: list[str], port: int, health_path: str, log: Path) -> None:
        self.name = name
        self.argv = argv
        self.base = f"http://127.0.0.1:{port}"
        self.health_path = health_path
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Server:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(self.argv, stdout=output, stderr=subprocess.STDOUT, cwd=PROJECT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} exited at start:\n{self.log_tail()}")
            try:
                if httpx.get(self.base + self.health_path, timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise BenchError(f"{self.name} did not answer {self.health_path} within {timeout:g} s")

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()  # uvicorn drains in-flight requests on SIGTERM
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the process so far (Linux /proc), None elsewhere."""
        if self.process is None:
            return None
        try:
            stat = Path(f"/proc/{self.process.pid}/stat").read_text(encoding="ascii")
        except OSError:
            return None
        # Fields after the command name, which is in parentheses and may hold spaces.
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_mb(self) -> float | None:
        """Resident memory of the process (Linux /proc), None elsewhere."""
        if self.process is None:
            return None
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="ascii")
        except OSError:
            return None
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return int(found.group(1)) / 1024 if found else None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no output)"


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server.start()
    finally:
        server.stop()


# The steady-state row's flow: an inbound call that is greeted and hung up at once, so
# calls do not pile up in memory as they do with FLOW (which waits at a menu).
NOTICE_FLOW = """\
version: 1
name: bench-inbound-notice
greeting: "Thanks for calling. Goodbye."
"""


def callflow_config(folder: Path, port: int, flow: Path = FLOW) -> Path:
    path = folder / f"callflow-{flow.stem}.yaml"
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
            inbound: {{policy: open, flow: {json.dumps(str(flow))}}}
            # wrk's 32 connections all come from 127.0.0.1, where a carrier's come from
            # many addresses: one address may have them all in flight.
            webhook_security: {{max_in_flight_per_address: 64}}
            # Every request is a new call that stays in flight: none may be refused.
            max_concurrent_calls: 1000000
            data_dir: {json.dumps(str(folder / f"data-{flow.stem}"))}
            """
        ),
        encoding="utf-8",
    )
    return path


def callflow_argv(config: Path) -> list[str]:
    script = Path(sys.executable).with_name("callflow")
    command = (
        [str(script)] if script.exists() else [sys.executable, "-c", "from runner.cli import run; run()"]
    )
    # The carrier is this benchmark, on this machine: public_url is on loopback.
    return [*command, "serve", "--config", str(config), "--allow-private-url"]


# -- one row ----------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    run: WrkRun
    cpu: float | None
    #: Problems found outside wrk's counts (refusals, reused bodies, missing records).
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.run.errors > 0 or self.run.wraps > 0 or bool(self.problems)


@dataclass(frozen=True)
class Load:
    wrk: str
    seconds: int
    warmup: int
    connections: int
    threads: int
    folder: Path


def measure(load: Load, server: Server, label: str, url: str, script: Path, warmup: Path | None) -> Row:
    """The measured run (after a warm-up run of ``warmup``), with the server's CPU use."""
    if warmup is not None and load.warmup > 0:
        run_wrk(load.wrk, url, warmup, load.warmup, load.connections, load.threads)
    before = server.cpu_seconds()
    run = run_wrk(load.wrk, url, script, load.seconds, load.connections, load.threads)
    after = server.cpu_seconds()
    cpu = None if before is None or after is None else (after - before) / run.seconds
    row = Row(label, run, cpu)
    if run.wraps:
        row.problems.append(f"a wrk thread ran out of signed bodies {run.wraps} times and sent them again")
    return row


def check_answer(response: httpx.Response, expected: str, who: str) -> None:
    if response.status_code != 200 or expected not in response.text:
        raise BenchError(
            f"{who} answered a signed request with {response.status_code}, "
            f"expected 200 with {expected!r}:\n{response.text[:500]}"
        )


def form_headers(signature: str) -> dict[str, str]:
    return {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}


def baseline_rows(load: Load) -> tuple[Row, Row]:
    """The do-nothing and baseline rows, both from one baseline server."""
    port = free_port()
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    argv = [sys.executable, str(Path(__file__).resolve()), "--serve-baseline", str(port)]
    server = Server("the baseline server", argv, port, NOTHING_PATH, load.folder / "baseline.out")
    # The baseline remembers nothing, so one signed body serves every request.
    signature, body = signed(url, inbound_form("CA" + "b" * 32))
    script = load.folder / "baseline.lua"
    script.write_text(static_script(signature, body), encoding="utf-8")
    with running(server):
        answer = httpx.post(url, content=body, headers=form_headers(signature), timeout=10)
        check_answer(answer, "<Response>", server.name)
        forged = httpx.post(url, content=body, headers=form_headers("Zm9yZ2Vk"), timeout=10)
        if forged.status_code != 401:
            raise BenchError(f"the baseline let a forged signature through ({forged.status_code})")
        nothing_url = f"http://127.0.0.1:{port}{NOTHING_PATH}"
        nothing = measure(load, server, "do-nothing endpoint (ceiling)", nothing_url, script, script)
        baseline = measure(load, server, "baseline: form + twilio RequestValidator", url, script, script)
    return nothing, baseline


_STARTED = re.compile(r'^callflow_calls_started_total\{direction="inbound"\} (\S+)$', re.MULTILINE)
_ERRORS = re.compile(r'^callflow_errors_total\{kind="([^"]+)"\} (\S+)$', re.MULTILINE)


def count_records(database: Path) -> tuple[int, int]:
    """Records in the store, and those of calls still in flight.

    Counted in SQL: decoding every record through the store would take longer than the run.
    """
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        total, live = db.execute("SELECT count(*), count(live) FROM calls").fetchone()
    return int(total), int(live)


def full_turn_row(load: Load, ceiling: float, *, steady: bool = False) -> tuple[Row, list[str]]:
    """The full-turn row, and notes on what was checked from the outside.

    ``steady``: each call ends in its first turn (NOTICE_FLOW), so none stays in flight.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    flow = FLOW
    if steady:
        flow = load.folder / "bench-inbound-notice.yaml"
        flow.write_text(NOTICE_FLOW, encoding="utf-8")
    config = callflow_config(load.folder, port, flow)
    label = (
        "full turn, each call ends at once (steady)"
        if steady
        else "full turn: callflow serve, new inbound call"
    )
    server = Server("callflow serve", callflow_argv(config), port, "/healthz", load.folder / "callflow.out")
    answered = 1
    with running(server):
        signature, body = signed(url, inbound_form("CA" + "f" * 32))
        answer = httpx.post(url, content=body, headers=form_headers(signature), timeout=10)
        check_answer(answer, "<Hangup/>" if steady else "<Gather", server.name)
        bound = ceiling * 1.25
        warm_problems = []
        if load.warmup > 0:
            per_thread = math.ceil(bound * load.warmup / load.threads)
            warmup = load.folder / f"warmup-{flow.stem}.lua"
            warmup.write_text(
                pool_script(write_pool(load.folder, f"warmup-{flow.stem}", url, per_thread, load.threads, 1))
            )
            warm = run_wrk(load.wrk, url, warmup, load.warmup, load.connections, load.threads)
            answered += warm.requests - warm.status_errors
            if warm.errors or warm.wraps:
                warm_problems.append(f"the warm-up had {warm.errors} errors and {warm.wraps} pool wraps")
            # Generous over the warm-up's rate, never over the ceiling's: signing takes time too.
            bound = min(bound, max(warm.rate * POOL_MARGIN, POOL_FLOOR_PER_SECOND))
        per_thread = math.ceil(bound * load.seconds / load.threads)
        script = load.folder / f"full-turn-{flow.stem}.lua"
        pool = write_pool(load.folder, f"run-{flow.stem}", url, per_thread, load.threads, 2)
        script.write_text(pool_script(pool))
        row = measure(load, server, label, url, script, None)
        row.problems.extend(warm_problems)
        answered += row.run.requests - row.run.status_errors
        metrics = httpx.get(server.base + "/metrics", timeout=10).text
        in_flight = int(httpx.get(server.base + "/healthz", timeout=10).json()["calls_in_flight"])
        memory = server.memory_mb()
    records, live = count_records(load.folder / f"data-{flow.stem}" / "calls.sqlite3")
    started = sum(float(value) for value in _STARTED.findall(metrics))
    refused = {kind: float(value) for kind, value in _ERRORS.findall(metrics) if float(value)}
    if refused:
        kinds = ", ".join(f"{kind} {count:.0f}" for kind, count in sorted(refused.items()))
        row.problems.append(f"the server counted errors (replays count as webhook-refused): {kinds}")
    if records < answered:
        row.problems.append(f"{answered - records} answered requests left no record (replays or lost saves)")
    if live != (0 if steady else records) or started != records:
        row.problems.append(f"of {records} records {live} are calls in flight, {started:.0f} calls started")
    # wrk stops waiting for the requests in flight when its time is up; the server answers them.
    cut_off = f", {records - answered} more answered after wrk stopped" if records >= answered else ""
    notes = [
        f"{label}: {records:,} calls answered and recorded in SQLite ({answered:,} responses counted"
        f"{cut_off}); {in_flight:,} calls in flight at the end"
        + (f", server resident memory {memory:,.0f} MB" if memory is not None else ""),
    ]
    return row, notes


# -- the report -------------------------------------------------------------------------------


def missing_packages() -> list[str]:
    wanted = {"twilio": "twilio", "python_multipart": "python-multipart"}
    return [package for module, package in wanted.items() if importlib.util.find_spec(module) is None]


def environment(wrk: str) -> str:
    # uvicorn's "auto" picks uvloop and httptools when they are installed, for both servers alike.
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    version = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False).stdout.split()
    return (
        f"python {sys.version.split()[0]}, uvicorn {importlib.metadata.version('uvicorn')} "
        f"(loop {loop}, http {http}), starlette {importlib.metadata.version('starlette')}, "
        f"{' '.join(version[:2]) or 'wrk'}, {os.cpu_count()} cores"
    )


def report(
    rounds: Sequence[Sequence[Row]], notes: Sequence[str], load: Load, argv: Sequence[str], wrk: str
) -> None:
    rows = [row for one_round in rounds for row in one_round]
    print(
        f"webhook turn under wrk: {load.connections} connections, {load.threads} threads, "
        f"{load.seconds} s measured after {load.warmup} s of warm-up; one uvicorn worker per server; "
        f"{len(rounds)} round(s) of all rows"
    )
    print(f"  {environment(wrk)}")
    print(f"  command: {shlex.join([sys.executable, str(Path(__file__)), *argv])}")
    print(f"  wrk, per row, after a warm-up run the same way: {shlex.join(rows[-1].run.command)}")
    print()
    header = (
        f"{'row':<44} {'requests/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'CPU':>5} {'ratio':>6}"
    )
    for number, one_round in enumerate(rounds, 1):
        baseline = one_round[1].run.rate
        print(f"round {number}" if len(rounds) > 1 else "")
        print(header)
        for row in one_round:
            cpu = f"{row.cpu:.0%}" if row.cpu is not None else "?"
            print(
                f"{row.label:<44} {row.run.rate:>10,.0f} {row.run.p50_ms:>7.2f} {row.run.p99_ms:>7.2f} "
                f"{row.run.errors:>6} {cpu:>5} {row.run.rate / baseline:>6.2f}"
            )
    print("(errors: HTTP status >= 400 and socket errors; CPU: the server process, of one core;")
    print(" ratio: requests/s over the baseline's of the same round)")
    summary = medians(rounds)
    if len(rounds) > 1:
        print()
        print(f"median of {len(rounds)} rounds")
        print(f"{'row':<44} {'requests/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} {'ratios':>18}")
        for line in summary:
            spread = " ".join(f"{ratio:.2f}" for ratio in line.ratios)
            print(
                f"{line.label:<44} {line.rate:>10,.0f} {line.p50_ms:>7.2f} {line.p99_ms:>7.2f} "
                f"{line.ratio:>6.2f} {spread:>18}"
            )
    for note in notes:
        print(note)
    for row in rows:
        if row.cpu is not None and row.cpu < IDLE_UNDER_LOAD:
            print(
                f"note: the {row.label.split(':')[0]} server used {row.cpu:.0%} of a core with "
                f"{load.connections} requests outstanding: it spends the rest waiting, not computing"
            )
    failed = [row for row in rows if row.failed]
    for row in failed:
        for problem in [f"{row.run.errors} errors counted by wrk"] * bool(row.run.errors) + row.problems:
            print(f"ERROR in {row.label}: {problem}")
    print()
    if failed:
        print("This run had errors: its figures are not for the README.")
        return
    if load.seconds < 10:
        print(f"A {load.seconds} s run is a smoke test: the README takes a default run's figures.")
        return
    print("For the README (medians over the rounds, each ratio against its own round's baseline,")
    print("with the command and the machine):")
    print()
    print("| what | requests/s | p50 ms | p99 ms | vs baseline | ratio per round |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for line in summary:
        spread = ", ".join(f"{ratio:.2f}" for ratio in line.ratios)
        print(
            f"| {line.label} | {line.rate:,.0f} | {line.p50_ms:.2f} | {line.p99_ms:.2f} "
            f"| {line.ratio:.2f} | {spread} |"
        )


@dataclass
class Summary:
    label: str
    rate: float
    p50_ms: float
    p99_ms: float
    ratio: float
    ratios: list[float]


def medians(rounds: Sequence[Sequence[Row]]) -> list[Summary]:
    """Each row's medians over the rounds; a ratio is always against its own round's baseline.

    The machine is shared: a neighbour's load moves every figure of a run by 10-30 %. Rounds
    of all rows, one after the other, put the baseline and the full turn under the same
    neighbours, and the median keeps one unlucky run from deciding the result.
    """
    summary = []
    for index, first in enumerate(rounds[0]):
        rows = [one_round[index] for one_round in rounds]
        ratios = [one_round[index].run.rate / one_round[1].run.rate for one_round in rounds]
        summary.append(
            Summary(
                first.label,
                statistics.median(row.run.rate for row in rows),
                statistics.median(row.run.p50_ms for row in rows),
                statistics.median(row.run.p99_ms for row in rows),
                statistics.median(ratios),
                ratios,
            )
        )
    return summary


def whole_seconds(least: int) -> Callable[[str], int]:
    """wrk takes whole seconds (it drops a fraction), so the options do too."""

    def parse(text: str) -> int:
        if not text.isdigit() or int(text) < least:
            raise argparse.ArgumentTypeError(f"expected whole seconds, at least {least}, found {text}")
        return int(text)

    return parse


def rounds_count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of rounds, at least 1, found {text}")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=whole_seconds(1), default=10, help="each measured run (default 10)")
    parser.add_argument("--warmup", type=whole_seconds(0), default=2, help="warm-up before each (default 2)")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: one round of 2 s, after 1 s of warm-up"
    )
    parser.add_argument(
        "--rounds", type=whole_seconds(1), default=3, help="rounds of all rows, for medians (default 3)"
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk's connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads (default 2)")
    parser.add_argument("--show-wrk", action="store_true", help="print wrk's output of each measured run")
    parser.add_argument("--serve-baseline", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_baseline is not None:
        serve_baseline(args.serve_baseline)
        return 0
    if not 1 <= args.threads <= args.connections:
        parser.error("--threads must be at least 1 and at most --connections")
    missing = missing_packages()
    if missing:
        print(
            f"webhook_turn: error: the baseline needs {' and '.join(missing)}: "
            f"{Path(sys.executable).parent / 'pip'} install {' '.join(missing)}",
            file=sys.stderr,
        )
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
                folder=Path(folder),
            )
            rounds: list[list[Row]] = []
            notes: list[str] = []
            for number in range(1 if args.quick else args.rounds):
                # A folder per round: its own stores, so no round counts another's records.
                this_round = dataclasses.replace(load, folder=load.folder / f"round-{number + 1}")
                this_round.folder.mkdir()
                nothing, baseline = baseline_rows(this_round)
                full, full_notes = full_turn_row(this_round, nothing.run.rate)
                steady, steady_notes = full_turn_row(this_round, nothing.run.rate, steady=True)
                rounds.append([nothing, baseline, full, steady])
                prefix = f"round {number + 1}, " if args.rounds > 1 and not args.quick else ""
                notes.extend(prefix + note for note in [*full_notes, *steady_notes])
    except BenchError as error:
        print(f"webhook_turn: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("webhook_turn: interrupted; the servers are stopped", file=sys.stderr)
        return 130
    rows = [row for one_round in rounds for row in one_round]
    if args.show_wrk:
        for row in rows:
            print(f"== {row.label}: {shlex.join(row.run.command)}\n{row.run.output}")
    report(rounds, notes, load, sys.argv[1:] if argv is None else argv, wrk)
    return 1 if any(row.failed for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
