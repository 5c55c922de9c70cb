"""``callflow campaign run`` without --dry-run: create or resume the campaign, dial it in a
server started here, show its progress, and sum it up."""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flows import Flow
from runner.campaigns import CampaignCheck, CampaignRun, RunOptions, RunSummary, StoreDispatcher
from runner.cli._base import CommandError, UsageError
from runner.cli._campaign_status import format_counts
from runner.cli._own_server import own_server
from runner.cli._server_args import control_url
from runner.client import ControlClient
from runner.config import Config
from runner.providers.mock_outcomes import MockOutcomes
from runner.server import BackgroundServer, read_control_token
from runner.service import CallService
from runner.store import Campaign, CampaignCounts, NewRecipient, SQLiteStore, StoreError, open_store

#: How often the progress line is redrawn, in seconds.
PROGRESS_SECONDS = 1.0
#: How much of a SHA-256 a message shows: enough to tell two files apart.
SHORT_HASH = 12


@dataclass(frozen=True)
class CampaignPlan:
    """What a run dials: the campaign's name, its flow, its checked rows, its file's hash."""

    name: str
    flow: Flow
    flow_path: Path
    recipients_path: Path
    recipients_sha256: str
    check: CampaignCheck
    invalid_rows: dict[int, dict[str, str]]
    options: RunOptions


def dial(
    args: argparse.Namespace,
    config: Config,
    data_dir: Path,
    plan: CampaignPlan,
    mock_outcomes: MockOutcomes | None,
) -> int:
    """Create or resume the campaign and dial it to its end; the exit status."""
    _refuse_a_running_server(config, data_dir)
    try:
        with open_store(data_dir) as store:
            if not _create_or_resume(store, plan, json_output=args.json):
                return 0
            # A real carrier needs a reachable public_url, as 'callflow serve' does.
            with own_server(
                config, data_dir, plan.flow_path, allow_private_url=False, mock_outcomes=mock_outcomes
            ) as (server, parts):
                summary, interrupted = _run_on_loop(server, parts.service, store, data_dir, plan, args.json)
            campaign = store.campaign(plan.name)
            counts = store.campaign_counts(plan.name)
    except StoreError as error:
        raise CommandError(str(error)) from None
    if campaign is None:
        raise CommandError(f"campaign {plan.name} is gone from the store")
    _print_summary(plan.name, campaign.state, counts, summary, json_output=args.json)
    if interrupted:
        print(
            f"campaign {plan.name} stopped: calls in flight finished; run the same command to resume it",
            file=sys.stderr,
        )
        return 130
    return 0 if campaign.state == "done" else 1


def _refuse_a_running_server(config: Config, data_dir: Path) -> None:
    token = read_control_token(data_dir)
    if token is None:
        return
    with ControlClient(control_url(config), token) as client:
        if client.is_callflow():
            raise UsageError(
                "a callflow server runs for this data folder, and campaigns run in a server this "
                "command starts for now: stop 'callflow serve', or wait for the control API's "
                "campaign operations"
            )


def _create_or_resume(store: SQLiteStore, plan: CampaignPlan, *, json_output: bool) -> bool:
    """Create the campaign, or check the one of this name can be resumed; False when it
    is done already (said so) and there is nothing to dial."""
    existing = store.campaign(plan.name)
    if existing is None:
        now = time.time()
        options = plan.options
        store.create_campaign(
            Campaign(
                name=plan.name,
                flow=plan.flow.name,
                flow_path=str(plan.flow_path),
                recipients_path=str(plan.recipients_path),
                recipients_sha256=plan.recipients_sha256,
                options={
                    "cps": options.cps,
                    "concurrency": options.concurrency,
                    "max_attempts": options.max_attempts,
                    "retry_delay": options.retry_base_delay,
                },
                state="running",
                created_at=now,
                updated_at=now,
            ),
            _new_recipients(plan),
        )
        return True
    if existing.recipients_sha256 != plan.recipients_sha256:
        raise UsageError(
            f"recipients file changed since campaign {plan.name} started: {plan.recipients_path} is "
            f"sha256 {plan.recipients_sha256[:SHORT_HASH]}, {existing.recipients_path} was "
            f"{existing.recipients_sha256[:SHORT_HASH]}; give another --name to start a new campaign"
        )
    if existing.flow != plan.flow.name:
        raise UsageError(
            f"campaign {plan.name} calls flow '{existing.flow}', not '{plan.flow.name}'; "
            "give another --name to start a new campaign"
        )
    if existing.state == "done":
        counts = store.campaign_counts(plan.name)
        if json_output:
            print(json.dumps(_as_json(plan.name, "done", counts, RunSummary()), indent=2))
        else:
            print(f"campaign {plan.name} is already done: no call placed")
            print(format_counts(counts), end="")
        return False
    if existing.state == "cancelled":
        raise CommandError(f"campaign {plan.name} was cancelled: it is not dialled again")
    return True


def _new_recipients(plan: CampaignPlan) -> list[NewRecipient]:
    recipients = [
        NewRecipient(recipient.line, recipient.number, {k: str(v) for k, v in recipient.values.items()})
        for recipient in plan.check.recipients
    ]
    recipients += [NewRecipient(line, "", values, valid=False) for line, values in plan.invalid_rows.items()]
    return sorted(recipients, key=lambda recipient: recipient.line)


def _run_on_loop(
    server: BackgroundServer,
    service: CallService,
    store: SQLiteStore,
    data_dir: Path,
    plan: CampaignPlan,
    json_output: bool,
) -> tuple[RunSummary, bool]:
    """Run the campaign on the server's loop, where the service lives; the summary, and
    whether Ctrl-C stopped it."""
    runs: list[CampaignRun] = []

    async def go() -> RunSummary:
        # SQLite connections belong to the thread that opened them: this one is the loop's.
        with open_store(data_dir) as loop_store:
            run = CampaignRun(service, StoreDispatcher(loop_store, plan.name), plan.flow.name, plan.options)
            runs.append(run)
            return await run.run()

    future = asyncio.run_coroutine_threadsafe(go(), server.loop)
    with _progress(store, plan.name, enabled=not json_output and sys.stderr.isatty()) as show:
        try:
            return _wait(future, show), False
        except KeyboardInterrupt:
            print("\nstopping: no new call; waiting for the calls in flight", file=sys.stderr)
            while not runs and not future.done():
                time.sleep(0.01)
            for run in runs:
                server.loop.call_soon_threadsafe(run.cancel)
            return future.result(), True


def _wait(future: concurrent.futures.Future[RunSummary], show: Callable[[], None]) -> RunSummary:
    while True:
        try:
            return future.result(timeout=PROGRESS_SECONDS)
        except concurrent.futures.TimeoutError:
            show()


@contextlib.contextmanager
def _progress(store: SQLiteStore, name: str, *, enabled: bool) -> Iterator[Callable[[], None]]:
    """What redraws the progress bar on stderr (on a terminal only): recipients settled
    of all, calls in flight, final outcomes so far."""
    if not enabled:
        yield lambda: None
        return
    # Imported here: only a run on a terminal draws a bar.
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=Console(stderr=True)
    )
    task = progress.add_task(name, total=None)

    def show() -> None:
        counts = store.campaign_counts(name)
        settled = counts.by_status.get("done", 0) + counts.by_status.get("invalid", 0)
        outcomes = ", ".join(f"{outcome} {n}" for outcome, n in sorted(counts.by_outcome.items()) if n)
        in_flight = counts.by_status.get("dialing", 0)
        description = f"{name}: {in_flight} in flight" + (f", {outcomes}" if outcomes else "")
        progress.update(task, total=counts.total, completed=settled, description=description)

    with progress:
        show()
        yield show
        show()


def _as_json(name: str, state: str, counts: CampaignCounts, summary: RunSummary) -> dict[str, object]:
    return {
        "name": name,
        "state": state,
        "counts": {outcome: n for outcome, n in sorted(counts.by_outcome.items()) if n},
        "by_status": {status: n for status, n in sorted(counts.by_status.items()) if n},
        "recipients": counts.total,
        "calls_placed": summary.calls_placed,
        "retries": summary.retries,
    }


def _print_summary(
    name: str, state: str, counts: CampaignCounts, summary: RunSummary, *, json_output: bool
) -> None:
    if json_output:
        print(json.dumps(_as_json(name, state, counts, summary), indent=2))
        return
    print(f"campaign {name}: {state}")
    print(format_counts(counts), end="")
    print(f"this run: {summary.calls_placed} calls placed, {summary.retries} retries scheduled")
    if summary.unsettled:
        print(f"{summary.unsettled} calls had not ended: the next run settles them")
    print(f"see it again: callflow campaign status {name}")
