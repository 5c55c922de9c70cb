"""Benchmark: a notify campaign with no pace limit through the real server, against the
same server's plain webhook turns, in one run.

    .venv/bin/python bench/campaign_calls.py [--sizes 1000,10000] [--rounds 1] [--concurrency 32]
        [--seconds 10] [--profile FILE]

Every row runs on a server built the same way (bench/campaign_server.py): one process,
the config's parts from ``build_server``, the app on a ``BackgroundServer`` as
``callflow campaign run`` runs its own, bound to 127.0.0.1, every webhook's Twilio
signature checked, a SQLite store in a fresh temporary data folder, the same log level,
``webhook_security.max_in_flight_per_address`` at max(64, concurrency) for the load's one
address. Rows of a round:

- plain webhook turns: wrk (32 connections, 2 threads), in a process of its own, posts
  the first webhook of a new inbound call of examples/inbound-hotline.yaml, each its own
  CallSid, signed with the mock carrier's key as the mock signs, after a warm-up; as
  bench/webhook_turn.py's "first webhook of a new call" row, every call is counted on
  /metrics and in the store;
- a campaign of N recipients (``--sizes``) of examples/outage-notice.yaml, from a
  generated recipients file (valid numbers, half national: ``--region US``), dialled
  with ``cps=None`` and ``--concurrency`` calls in flight, timed from the first claim to
  the last outcome, twice:
  - via the Twilio provider against a carrier in another process: ``provider: twilio``
    with its ``api_base`` at bench/carrier_stand_in.py, which answers the REST call
    placing each call and then plays it over HTTP, signed with the config's auth token,
    to the server's ``public_url`` (its own 127.0.0.1 address). Like the turns row, the
    carrier's side runs on the other core, so this is the row the aim is judged on;
  - on the mock carrier, the embedded default: it plays the carrier from inside the
    server (its HTTP client, TwiML parsing and signing on the server's loop and CPU).

A notify call costs about three webhooks, so the aim is calls/s at least a third of
turns/s. The report gives both rates, the webhooks each call actually cost (from
/metrics), both ratios, the out-of-process carrier's CPU, and the time per recipient at
each size, which should stay flat. It checks every recipient ended ``done`` with outcome
``completed``, every call's record is in the store, and the stand-in played every call
to its end, so the figures are of full runs; anything else exits 1. ``--profile FILE``
runs one more campaign of the largest size via the Twilio provider under cProfile (on
the server's thread) and prints where its time went.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import shlex
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlencode

import httpx
from campaign_profile import breakdown
from campaign_report import CARRIER, JUDGED, MOCK, TURNS, CampaignRow, Round, report
from campaign_rows import REGION, recipients_csv
from carrier_requests import OUR_NUMBER, form_headers, inbound_form
from server_process import PROJECT, BenchError, Server, check_answer, free_port, running
from turn_rows import Load, WrkRow, checked, measure_wrk, server_counts, with_records
from wrk_load import ensure_wrk, pool_script, run_wrk

from runner.store import STORE_FILENAME, open_store

SERVER = PROJECT / "bench" / "campaign_server.py"
STAND_IN = PROJECT / "bench" / "carrier_stand_in.py"
HOTLINE = PROJECT / "examples" / "inbound-hotline.yaml"
OUTAGE = PROJECT / "examples" / "outage-notice.yaml"
WEBHOOK_PATH = "/voice/webhook"
CAMPAIGN = "bench"  # campaign_server.CAMPAIGN
# The stand-in carrier's account: any SID and token do, as long as both sides share them.
ACCOUNT_SID, AUTH_TOKEN = "AC" + "0" * 32, "bench-stand-in-token-0123456789"
# Pool sizing for the turns row, as bench/turn_rows.py does it.
POOL_MARGIN, POOL_FLOOR_PER_SECOND, WARMUP_RATE_BOUND = 3.0, 500, 5_000
WARMUP_TAG, RUN_TAG = 11, 12


def write_config(folder: Path, name: str, port: int, per_address: int, carrier: str | None = None) -> Path:
    """Every row's config: only the port differs, and the carrier when ``carrier`` names
    the stand-in's base URL: Twilio there, whose webhooks come back to this server."""
    path = folder / f"callflow-{name}.yaml"
    provider = "provider: mock\n"
    if carrier is not None:
        provider = (
            "provider: twilio\n"
            f"twilio: {{account_sid: {ACCOUNT_SID}, auth_token: {AUTH_TOKEN}, "
            f"api_base: {json.dumps(carrier)}}}\n"
            # The carrier is on this machine: the webhooks' URLs are the server's own
            # address, as in tests/runner/cli/serve_process.py (build_server does not
            # refuse a private public_url; 'callflow serve' would want --allow-private-url).
            f"public_url: http://127.0.0.1:{port}\n"
        )
    path.write_text(
        provider + f'from_number: "{OUR_NUMBER}"\n'
        f"serve: {{bind: 127.0.0.1, port: {port}, path: {WEBHOOK_PATH}}}\n"
        f"inbound: {{policy: open, flow: {json.dumps(str(HOTLINE))}}}\n"
        # All the load comes from 127.0.0.1: the carrier's and wrk's.
        f"webhook_security: {{max_in_flight_per_address: {per_address}}}\n"
        # The turns row leaves every call it starts in flight: none may be refused.
        "max_concurrent_calls: 1000000\n",
        encoding="utf-8",
    )
    return path


def signed_pool(folder: Path, name: str, url: str, key: str, per_thread: int, threads: int, tag: int) -> str:
    """Files of signed first webhooks of new calls for wrk's pool script, signed with the
    mock carrier's ``key`` by the official ``twilio`` package; their common prefix."""
    # Imported here, as in carrier_requests: twilio is a bench extra, and it ships no types.
    from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

    validator = RequestValidator(key)
    # Only the CallSid changes, and it never needs escaping: one encoding, then a template.
    template = urlencode(inbound_form("{sid}")).replace("%7Bsid%7D", "{sid}")
    for thread in range(threads):
        lines = []
        for number in range(per_thread):
            sid = f"CA{tag:08x}{thread:08x}{number:016x}"
            signature = validator.compute_signature(url, inbound_form(sid))
            lines.append(f"{signature}\t{template.format(sid=sid)}\n")
        (folder / f"{name}-{thread}.txt").write_text("".join(lines), encoding="ascii")
    return str(folder / name)


def turns_row(load: Load, per_address: int) -> tuple[WrkRow, str]:
    port = free_port()
    config = write_config(load.folder, "turns", port, per_address)
    data, key_file = load.folder / "data-turns", load.folder / "mock-key"
    argv = [
        sys.executable,
        str(SERVER),
        "serve",
        str(config),
        str(data),
        str(OUTAGE),
        "--key-file",
        str(key_file),
    ]
    server = Server("the server (turns)", argv, port, "/healthz", load.folder / "turns.out")
    with running(server):
        key, url = key_file.read_text(encoding="ascii"), server.base + WEBHOOK_PATH
        first = signed_pool(load.folder, "first", url, key, 1, 1, 0)
        signature, body = Path(first + "-0.txt").read_text(encoding="ascii").rstrip("\n").split("\t")
        answer = httpx.post(url, content=body, headers=form_headers(signature), timeout=10)
        check_answer(answer, "<Gather", server.name)
        answered, bound = 1, float(WARMUP_RATE_BOUND)
        if load.warmup > 0:
            per_thread = math.ceil(bound * load.warmup / load.threads)
            warmup = load.folder / "warmup.lua"
            warmup.write_text(
                pool_script(
                    signed_pool(load.folder, "warmup", url, key, per_thread, load.threads, WARMUP_TAG)
                )
            )
            warm = run_wrk(load.wrk, url, warmup, load.warmup, load.connections, load.threads)
            answered += warm.requests - warm.status_errors
            bound = max(warm.rate * POOL_MARGIN, POOL_FLOOR_PER_SECOND)
        per_thread = math.ceil(bound * load.seconds / load.threads)
        script = load.folder / "turns.lua"
        script.write_text(
            pool_script(signed_pool(load.folder, "run", url, key, per_thread, load.threads, RUN_TAG))
        )
        row = measure_wrk(load, server, TURNS, url, script, None)
        answered += row.run.requests - row.run.status_errors
        counts = server_counts(server)
    counts = with_records(counts, data / STORE_FILENAME)
    row.problems.extend(checked(counts, answered, None))
    return row, f"turns: {counts.records:,} calls recorded, {counts.in_flight:,} left in flight by design"


def campaign_row(
    folder: Path, size: int, concurrency: int, per_address: int, profile: Path | None, via: str = MOCK
) -> CampaignRow:
    """A campaign of ``size`` on the mock carrier (``via`` MOCK) or via the Twilio provider
    against the stand-in carrier in a process of its own (CARRIER)."""
    port = free_port()
    name = f"campaign-{size}" + ("-carrier" if via == CARRIER else "") + ("-profiled" if profile else "")
    recipients, data = folder / f"recipients-{size}.csv", folder / f"data-{name}"
    if not recipients.exists():
        recipients.write_text(recipients_csv(size), encoding="utf-8")
    with contextlib.ExitStack() as stack:
        carrier = None
        if via == CARRIER:
            carrier_port = free_port()
            argv = [
                sys.executable, str(STAND_IN), "--port", str(carrier_port),
                "--account-sid", ACCOUNT_SID, "--auth-token", AUTH_TOKEN,
            ]  # fmt: skip
            carrier = stack.enter_context(
                running(
                    Server("the stand-in carrier", argv, carrier_port, "/healthz", folder / f"{name}.out")
                )
            )
        config = write_config(folder, name, port, per_address, carrier.base if carrier else None)
        argv = [
            sys.executable, str(SERVER), "campaign", str(config), str(data), str(OUTAGE), str(recipients),
            "--concurrency", str(concurrency), "--region", REGION,
            *(["--profile", str(profile)] if profile else []),
            *(["--carrier-stats", carrier.base + "/stats"] if carrier else []),
        ]  # fmt: skip
        carrier_cpu = carrier.cpu_seconds() if carrier else None
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=PROJECT, timeout=3600)
        if carrier is not None and carrier_cpu is not None:
            # The stand-in idles while the server starts and checks the rows: its CPU is the run's.
            carrier_cpu = (carrier.cpu_seconds() or 0.0) - carrier_cpu
        if done.returncode != 0 or not done.stdout.strip():
            raise BenchError(f"the campaign of {size:,} failed ({shlex.join(argv)}):\n{done.stderr[-2000:]}")
        played = httpx.get(carrier.base + "/stats", timeout=10).json() if carrier else None
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    row = CampaignRow(
        via,
        size,
        figures["seconds"],
        figures["cpu_seconds"],
        figures["calls_placed"],
        figures["webhooks"],
        carrier_cpu,
    )
    row.problems.extend(f"the server counted {count:.0f} {kind}" for kind, count in figures["errors"].items())
    row.problems.extend(full_run_problems(data, size))
    if played is not None and (played["placed"], played["finished"]) != (size, size):
        row.problems.append(
            f"the stand-in carrier placed {played['placed']:,} calls and played {played['finished']:,} "
            f"to their end, {played['failed']:,} failed: {played['reasons']}"
        )
    if row.calls != size:
        row.problems.append(f"{row.calls:,} calls placed for {size:,} recipients")
    return row


def full_run_problems(data: Path, size: int) -> list[str]:
    """What the store says against a full run: every recipient done and completed, one
    call each, none left in flight."""
    with open_store(data) as store:
        ends = [(state.status, state.outcome, len(state.call_ids)) for state in store.recipients(CAMPAIGN)]
    problems = []
    if len(ends) != size:
        problems.append(f"{len(ends):,} recipients in the store, {size:,} in the file")
    wrong = [end for end in ends if end != ("done", "completed", 1)]
    if wrong:
        problems.append(f"{len(wrong):,} recipients not done with one completed call, e.g. {wrong[0]}")
    with contextlib.closing(sqlite3.connect(f"file:{data / STORE_FILENAME}?mode=ro", uri=True)) as db:
        records, live = db.execute("SELECT count(*), count(live) FROM calls").fetchone()
    if (records, live) != (size, 0):
        problems.append(f"{records:,} call records, {live:,} of them in flight")
    return problems


def run_round(load: Load, sizes: Sequence[int], concurrency: int, per_address: int) -> tuple[Round, str]:
    turns, note = turns_row(load, per_address)
    campaigns = [
        campaign_row(load.folder, size, concurrency, per_address, None, via)
        for via in (CARRIER, MOCK)
        for size in sizes
    ]
    return Round(turns, campaigns), note


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000", help="recipients a campaign, comma-separated")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of all rows (default 1)")
    parser.add_argument("--concurrency", type=int, default=32, help="campaign calls in flight (default 32)")
    parser.add_argument("--seconds", type=int, default=10, help="the turns row's measured run (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="the turns row's warm-up (default 2)")
    parser.add_argument("--profile", type=Path, help="profile one more campaign of the largest size here")
    args = parser.parse_args(argv)
    try:
        sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes takes whole numbers separated by commas, not {args.sizes}")
    if min([*sizes, args.rounds, args.concurrency, args.seconds]) < 1 or args.warmup < 0:
        parser.error("--sizes, --rounds, --concurrency and --seconds take whole numbers, at least 1")
    # Room for every call in flight from one address, the carrier's or wrk's.
    per_address = max(64, args.concurrency)
    notes, rounds = [], []
    try:
        wrk = ensure_wrk()
        with tempfile.TemporaryDirectory(prefix="campaign-calls-") as folder:
            for number in range(args.rounds):
                load = Load(wrk, args.seconds, args.warmup, 32, 2, 32, Path(folder) / f"round-{number + 1}")
                load.folder.mkdir()
                one, note = run_round(load, sizes, args.concurrency, per_address)
                rounds.append(one)
                notes.append(note)
            clean = report(rounds, load, args.concurrency, sys.argv[1:] if argv is None else argv)
            if args.profile is not None:
                row = campaign_row(
                    load.folder, max(sizes), args.concurrency, per_address, args.profile, JUDGED
                )
                print()
                print("\n".join(breakdown(args.profile, row.recipients)))
                print(f"(profiled: {row.rate:,.0f} calls/s, cProfile slows it down)")
                clean = clean and not row.problems
    except BenchError as error:
        print(f"campaign_calls: error: {error}", file=sys.stderr)
        return 1
    for note in notes:
        print(note)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
