"""wrk, the HTTP load generator: Lua scripts that send signed webhooks, a run, its figures.

wrk is installed with apt-get when it is missing (Debian package 'wrk').
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from server_process import BenchError

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
