"""Benchmark: the CPU an async HTTP client spends on one small chat-completion POST.

    .venv/bin/python bench/http_clients.py [--seconds 5] [--rounds 3] [--concurrency 32] [CLIENT ...]

The agent's request (runner/agent/_client.py) is most of what a consult turn adds to a
turn (bench/consult_turns.py), so this measures that request alone, for several clients:
``concurrency`` tasks in one process, each posting the body AgentClient sends (system
prompt with the output contract, one user message, as JSON) one after another and reading
the reply as JSON, against bench/agent_stand_in.py in a process of its own. Each client
runs in a fresh interpreter of its own, on uvloop where it is installed (as `callflow
serve` does), with a warm-up first; its CPU (user + system, every thread) is measured
over the timed window only.

Clients (a client whose package is missing is reported as skipped):
- agent-client: callflow's own AgentClient.complete, end to end (reply read too);
- httpx: httpx.AsyncClient() as AgentPools configures it (httpx's default limits);
- httpx-keepalive: the same with room to keep all the connections alive;
- httpx2: the httpx successor the mcp package brings;
- aiohttp: aiohttp.ClientSession on a TCPConnector (keep-alive);
- raw-asyncio: HTTP/1.1 written by hand on asyncio streams, a floor, not a candidate.

Reported per round and client: requests/s, client CPU ms per request, the stand-in's CPU
ms per request, errors; then each client's median over the rounds and its CPU per request
relative to httpx's within the same round (the machine is shared: compare ratios).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_stand_in import COMPLETIONS_PATH, MODELS_PATH, SPOKEN
from server_process import PROJECT, BenchError, Server, free_port, running
from two_turn_calls import run_on_uvloop

Post = Callable[[], Awaitable[Any]]
BASELINE = "httpx"
SYSTEM_PROMPT = "You answer callers of a dental practice."
CLIENTS = [
    "agent-client",
    "httpx",
    "httpx-keepalive",
    "httpx2",
    "aiohttp",
    "raw-asyncio",
]
_NEEDS = {
    "agent-client": "httpx",
    "httpx": "httpx",
    "httpx-keepalive": "httpx",
    "httpx2": "httpx2",
    "aiohttp": "aiohttp",
    "raw-asyncio": "asyncio",
}


def _body() -> dict[str, Any]:
    sys.path.insert(0, str(PROJECT))
    from runner.agent import with_contract

    return {
        "model": "stand-in",
        "messages": [
            {"role": "system", "content": with_contract(SYSTEM_PROMPT)},
            {"role": "user", "content": "Caller: I would like to move my appointment to Friday."},
        ],
        "max_tokens": 200,
        "temperature": 0.2,
        "stream": False,
    }


def _spoken(reply: Any) -> str:
    return str(json.loads(reply["choices"][0]["message"]["content"])["spoken"])


async def _with_client(
    name: str, base: str, body: dict[str, Any], run: Callable[[Post], Awaitable[Any]]
) -> Any:
    """Open ``name``'s client on ``base``, give ``run`` a function posting ``body`` once, close."""
    url = base + COMPLETIONS_PATH
    headers = {"Authorization": "Bearer sk-bench"}
    if name == "agent-client":
        from runner.agent import AgentClient, AgentPools
        from runner.config import AgentSettings, Secret

        settings = AgentSettings(
            base_url=base + "/v1", model="stand-in", api_key=Secret("sk-bench"), system_prompt=SYSTEM_PROMPT
        )
        pools = AgentPools()
        client = AgentClient(settings, pools)
        messages = body["messages"][1:]

        async def post_agent() -> Any:
            reply = await client.complete(messages)
            return {"choices": [{"message": {"content": reply.content}}]}

        try:
            return await run(post_agent)
        finally:
            await pools.aclose()
    if name in ("httpx", "httpx-keepalive", "httpx2"):
        module: Any = __import__(name.split("-")[0])
        limits = module.Limits(max_connections=100, max_keepalive_connections=100)
        async with (
            module.AsyncClient(limits=limits) if name == "httpx-keepalive" else module.AsyncClient()
        ) as http:

            async def post_httpx() -> Any:
                response = await http.post(url, json=body, headers=headers, timeout=30.0)
                response.raise_for_status()
                return response.json()

            return await run(post_httpx)
    if name == "aiohttp":
        import aiohttp

        connector = aiohttp.TCPConnector(limit=100, keepalive_timeout=30)
        async with aiohttp.ClientSession(connector=connector) as session:
            timeout = aiohttp.ClientTimeout(total=30)

            async def post_aiohttp() -> Any:
                async with session.post(url, json=body, headers=headers, timeout=timeout) as response:
                    response.raise_for_status()
                    return await response.json()

            return await run(post_aiohttp)
    if name == "raw-asyncio":
        return await _raw(base, body, headers, run)
    raise BenchError(f"unknown client {name}")


async def _raw(
    base: str, body: dict[str, Any], headers: dict[str, str], run: Callable[[Post], Awaitable[Any]]
) -> Any:
    host, port = base.removeprefix("http://").split(":")
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post_raw() -> Any:
        reader, writer = idle.pop() if idle else await asyncio.open_connection(host, int(port))
        payload = json.dumps(body).encode()
        extra = "".join(f"{key}: {value}\r\n" for key, value in headers.items())
        head = (
            f"POST {COMPLETIONS_PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        writer.write(head.encode() + payload)
        answer = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in answer.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        data = await reader.readexactly(length)
        idle.append((reader, writer))
        return json.loads(data)

    try:
        return await run(post_raw)
    finally:
        for _, writer in idle:
            writer.close()


@dataclass
class Result:
    client: str
    requests: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    agent_cpu_seconds: float | None = None
    errors: int = 0
    error_sample: str = ""
    skipped: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds * 1000 / self.requests if self.requests else float("nan")

    @property
    def agent_cpu_ms(self) -> float | None:
        if self.agent_cpu_seconds is None or not self.requests:
            return None
        return self.agent_cpu_seconds * 1000 / self.requests


async def _load(post: Post, *, concurrency: int, warmup: float, seconds: float) -> dict[str, Any]:
    """``concurrency`` tasks posting one after another: a warm-up, then the timed window."""
    counts = {"requests": 0, "errors": 0}
    sample: list[str] = []
    timed = False
    deadline = 0.0

    async def worker() -> None:
        while time.monotonic() < deadline:
            try:
                if _spoken(await post()) != SPOKEN:
                    raise BenchError("the reply did not say the stand-in's words")
            except Exception as error:  # counted and shown: the run goes on
                counts["errors"] += timed
                if not sample:
                    sample.append(f"{type(error).__name__}: {error}")
            else:
                counts["requests"] += timed

    deadline = time.monotonic() + warmup
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    timed = True
    started, cpu_before = time.monotonic(), time.process_time()
    deadline = started + seconds
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu, elapsed = time.process_time() - cpu_before, time.monotonic() - started
    return {**counts, "seconds": elapsed, "cpu_seconds": cpu, "error_sample": sample[0] if sample else ""}


def run_one(name: str, base: str, concurrency: int, warmup: float, seconds: float) -> dict[str, Any]:
    """One client's load, in this interpreter; the figures as JSON-ready data."""
    body = _body()

    async def main() -> Any:
        return await _with_client(
            name,
            base,
            body,
            lambda post: _load(post, concurrency=concurrency, warmup=warmup, seconds=seconds),
        )

    return dict(run_on_uvloop(main()))


def measure(name: str, agent: Server, args: argparse.Namespace) -> Result:
    if importlib.util.find_spec(_NEEDS[name]) is None:
        return Result(name, skipped=f"{_NEEDS[name]} is not installed")
    argv = [
        sys.executable, __file__, "--one", name, "--base", agent.base,
        "--concurrency", str(args.concurrency), "--warmup", str(args.warmup), "--seconds", str(args.seconds),
    ]  # fmt: skip
    agent_before = agent.cpu_seconds()
    finished = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=PROJECT)
    agent_after = agent.cpu_seconds()
    if finished.returncode != 0:
        raise BenchError(f"{name} failed:\n{finished.stderr[-2000:]}")
    figures = json.loads(finished.stdout.strip().splitlines()[-1])
    result = Result(name, **figures)
    if agent_before is not None and agent_after is not None:
        # The warm-up is in this too: scaled to the timed window's share of the run.
        share = args.seconds / (args.seconds + args.warmup)
        result.agent_cpu_seconds = (agent_after - agent_before) * share
    return result


def report(rounds: list[dict[str, Result]], args: argparse.Namespace) -> bool:
    print(
        f"# {args.concurrency} concurrent POSTs, {args.seconds:g} s a client a round "
        f"(+{args.warmup:g} s warm-up), {len(rounds)} rounds"
    )
    columns = f"{'req/s':>8}{'CPU ms/req':>12}{'vs httpx':>10}{'agent ms/req':>14}{'errors':>8}"
    print(f"{'round':>5}  {'client':<16}{columns}")
    for number, results in enumerate(rounds, 1):
        base = results.get(BASELINE)
        for result in results.values():
            if result.skipped:
                print(f"{number:>5}  {result.client:<16}skipped: {result.skipped}")
                continue
            ratio = f"{result.cpu_ms / base.cpu_ms:.2f}" if base and base.requests else "?"
            agent = f"{result.agent_cpu_ms:.3f}" if result.agent_cpu_ms is not None else "?"
            line = f"{result.rate:>8.0f}{result.cpu_ms:>12.3f}{ratio:>10}{agent:>14}{result.errors:>8}"
            print(f"{number:>5}  {result.client:<16}{line}")
    print("\n# medians over the rounds")
    print(f"{'client':<16}{'req/s':>8}{'CPU ms/req':>12}{'vs httpx':>10}")
    clean = True
    for name in rounds[0]:
        measured = [results[name] for results in rounds if not results[name].skipped]
        if not measured:
            continue
        ratios = [
            results[name].cpu_ms / results[BASELINE].cpu_ms
            for results in rounds
            if BASELINE in results and results[BASELINE].requests and results[name].requests
        ]
        ratio = f"{statistics.median(ratios):.2f}" if ratios else "?"
        rate = statistics.median(result.rate for result in measured)
        cpu = statistics.median(result.cpu_ms for result in measured)
        print(f"{name:<16}{rate:>8.0f}{cpu:>12.3f}{ratio:>10}")
        for result in measured:
            if result.errors:
                clean = False
                print(f"  {result.errors} errors in a round, e.g. {result.error_sample}")
    return clean


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clients", nargs="*", metavar="CLIENT", help=" ".join(CLIENTS))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.base, args.concurrency, args.warmup, args.seconds)))
        return 0
    unknown = [name for name in args.clients if name not in CLIENTS]
    if unknown:
        parser.error(f"unknown client {unknown[0]!r}; the clients: {', '.join(CLIENTS)}")
    chosen = args.clients or CLIENTS
    if BASELINE not in chosen:
        chosen = [BASELINE, *chosen]
    rounds: list[dict[str, Result]] = []
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        stand_in = [sys.executable, str(Path(__file__).with_name("agent_stand_in.py")), str(port)]
        agent = Server("agent stand-in", stand_in, port, MODELS_PATH, Path(folder) / "agent.out")
        with running(agent):
            for _ in range(args.rounds):
                rounds.append({name: measure(name, agent, args) for name in chosen})
    return 0 if report(rounds, args) else 1


if __name__ == "__main__":
    try:
        raise SystemExit(main(sys.argv[1:]))
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
