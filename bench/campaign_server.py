"""A callflow server, built as ``callflow campaign run`` builds its own.

    .venv/bin/python bench/campaign_server.py serve CONFIG DATA_DIR FLOW --key-file FILE
    .venv/bin/python bench/campaign_server.py campaign CONFIG DATA_DIR FLOW RECIPIENTS.csv --concurrency N
        [--region CC] [--profile FILE] [--carrier-stats URL]

Both modes make the same server in the same kind of process: the config read by
``runner.config``, the parts from ``runner.server.build_server`` with FLOW loaded, and
the app on a ``BackgroundServer`` (uvicorn on a thread of its own, its own event loop),
as ``callflow campaign run`` does when no server runs. Nothing else differs, so
bench/campaign_calls.py compares like with like.

- serve: waits for SIGTERM. The mock carrier signs its requests with a key made for the
  process, and the server checks them with it; the key goes to ``--key-file``, so the
  load can sign as the mock does.
- campaign: checks RECIPIENTS.csv against FLOW, creates the campaign in the store as the
  CLI does, and runs it on the server's loop with no pace limit (``cps=None``) and
  ``--concurrency`` calls in flight, as the CLI runs it. It prints one JSON line: the
  seconds, and the process's CPU seconds, from the first claim to the last call's
  outcome; what the run says it did; and the server's own counts from /metrics.
  ``--profile`` writes cProfile's statistics of the server's thread (the webhooks, the
  mock carrier and the campaign) for the run. On a carrier in another process (the
  config's ``provider: twilio`` against bench/carrier_stand_in.py), ``--carrier-stats``
  names its /stats, read until its last call is played, so /metrics counts every webhook.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import re
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from flows import load_flow
from runner.campaigns import (
    CampaignRun,
    NotifyScript,
    RunOptions,
    StoreDispatcher,
    check_recipients,
    read_recipients,
    recipients_sha256,
)
from runner.config import Config, load_config
from runner.providers.mock import MockProvider
from runner.server import BackgroundServer, ServerParts, bind, build_server
from runner.store import Campaign, NewRecipient, open_store

#: The campaign's name in the store.
CAMPAIGN = "bench"
_COUNTED = re.compile(
    r"^(callflow_webhook_seconds_count|callflow_errors_total\{[^}]*\}) (\S+)$", re.MULTILINE
)


def build(config: Config, data_dir: Path, flow: Path) -> tuple[BackgroundServer, ServerParts]:
    """The server, not started yet, and its parts."""
    sock = bind(config.serve.bind, config.serve.port)
    parts = build_server(config, data_dir, sock.getsockname()[1], extra_flows=[flow])
    return BackgroundServer(parts.app, sock), parts


def serve(config: Config, data_dir: Path, flow: Path, key_file: Path) -> int:
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda number, frame: stopping.set())
    server, parts = build(config, data_dir, flow)
    provider = parts.provider
    assert isinstance(provider, MockProvider), "the benchmark's config names the mock carrier"
    # Written before the server answers /healthz, so the load finds it once it does.
    key_file.write_text(provider.auth_token, encoding="ascii")
    server.start()
    try:
        stopping.wait()
    finally:
        server.stop()
    return 0


def create_campaign(
    config: Config, data_dir: Path, flow_path: Path, recipients: Path, region: str | None
) -> str:
    """The campaign in the store, every row checked first, as ``callflow campaign run``
    creates it; the flow's name."""
    flow = load_flow(flow_path)
    script = NotifyScript(flow, config.provider.value)
    check = check_recipients(read_recipients(recipients), script, region=region)
    if check.problems:
        raise SystemExit(f"the recipients do not check: {check.problems[0].format()}")
    now = time.time()
    with open_store(data_dir) as store:
        store.create_campaign(
            Campaign(
                name=CAMPAIGN,
                flow=flow.name,
                flow_path=str(flow_path),
                recipients_path=str(recipients),
                recipients_sha256=recipients_sha256(recipients),
                options={"cps": None, "concurrency": None, "max_attempts": 1, "retry_delay": 60.0},
                state="running",
                created_at=now,
                updated_at=now,
            ),
            [
                NewRecipient(row.line, row.number, {name: str(value) for name, value in row.values.items()})
                for row in check.recipients
            ],
        )
    return flow.name


def campaign(
    config: Config,
    data_dir: Path,
    flow_path: Path,
    recipients: Path,
    *,
    region: str | None,
    concurrency: int,
    profile: Path | None,
    carrier_stats: str | None,
) -> int:
    flow = create_campaign(config, data_dir, flow_path, recipients, region)
    server, parts = build(config, data_dir, flow_path)
    server.start()
    profiler = cProfile.Profile()

    async def dial() -> dict[str, Any]:
        # SQLite connections belong to the thread that opened them: this one is the loop's.
        with open_store(data_dir) as loop_store:
            options = RunOptions(cps=None, concurrency=concurrency, max_attempts=1)
            run = CampaignRun(parts.service, StoreDispatcher(loop_store, CAMPAIGN), flow, options)
            if profile is not None:
                # cProfile sees the thread that enables it: the server's, where all the work is.
                profiler.enable()
            started, cpu_started = time.perf_counter(), time.process_time()
            summary = await run.run()
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
            if profile is not None:
                profiler.disable()
        return {
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "calls_placed": summary.calls_placed,
            "outcomes": dict(summary.outcomes),
            "unsettled": summary.unsettled,
        }

    try:
        result = asyncio.run_coroutine_threadsafe(dial(), server.loop).result()
        # The carrier's last status callbacks may still be on their way.
        while not getattr(parts.provider, "idle", True):
            time.sleep(0.01)
        if carrier_stats is not None:
            wait_for_carrier(carrier_stats)
        metrics = httpx.get(parts.local_url + "/metrics", timeout=10).text
    finally:
        server.stop()
    counted = {name: float(value) for name, value in _COUNTED.findall(metrics)}
    result["webhooks"] = counted.pop("callflow_webhook_seconds_count", 0.0)
    result["errors"] = {name: value for name, value in counted.items() if value}
    if profile is not None:
        profiler.dump_stats(profile)
    print(json.dumps(result))
    return 0


def wait_for_carrier(stats_url: str, timeout: float = 30.0) -> None:
    """Until the carrier in another process has no call left in flight."""
    deadline = time.monotonic() + timeout
    while httpx.get(stats_url, timeout=10).json()["in_flight"]:
        if time.monotonic() > deadline:
            raise SystemExit(f"the carrier still plays calls after {timeout:g} s: {stats_url}")
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    serving = modes.add_parser("serve")
    dialing = modes.add_parser("campaign")
    for mode in (serving, dialing):
        mode.add_argument("config", type=Path)
        mode.add_argument("data_dir", type=Path)
        mode.add_argument("flow", type=Path)
    serving.add_argument("--key-file", type=Path, required=True)
    dialing.add_argument("recipients", type=Path)
    dialing.add_argument("--concurrency", type=int, required=True)
    dialing.add_argument("--region", help="the country of numbers written without one")
    dialing.add_argument("--profile", type=Path)
    dialing.add_argument("--carrier-stats", help="an out-of-process carrier's /stats URL")
    args = parser.parse_args(argv)
    config = load_config(args.config, {})
    if args.mode == "serve":
        return serve(config, args.data_dir, args.flow, args.key_file)
    return campaign(
        config,
        args.data_dir,
        args.flow,
        args.recipients,
        region=args.region,
        concurrency=args.concurrency,
        profile=args.profile,
        carrier_stats=args.carrier_stats,
    )


if __name__ == "__main__":
    sys.exit(main())
