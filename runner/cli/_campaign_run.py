"""``callflow campaign run`` without --dry-run: launch the campaign in the running server
(or one started here for the campaign's life), follow it to its end, and sum it up.

The campaign is dialled by the server, through the control API, as any program would
launch it: this command only asks, watches and, on Ctrl-C, asks it to stop.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from runner.cli._base import CommandError, UsageError
from runner.cli._campaign_status import format_counts
from runner.cli._own_server import server_client
from runner.client import ControlClient, ControlError
from runner.config import Config
from runner.providers.mock_outcomes import MockOutcomes
from runner.store import CampaignCounts

#: How often the campaign is looked at while it runs, in seconds.
POLL_SECONDS = 0.25
#: Where the report of a campaign that ended is written, in the data folder.
REPORTS_FOLDER = "campaigns"


def dial(
    config: Config,
    data_dir: Path,
    flow_path: Path,
    launch: dict[str, Any],
    mock_outcomes: MockOutcomes | None,
    *,
    json_output: bool,
) -> int:
    """Launch the campaign ``launch`` describes (the control API's body) and follow it to
    its end; the exit status."""
    # A real carrier needs a reachable public_url, as 'callflow serve' does.
    with server_client(config, data_dir, flow_path, allow_private_url=False, mock_outcomes=mock_outcomes) as (
        client,
        _,
    ):
        view = _launch(client, launch)
        name = str(view["name"])
        if view["launched"] == "done":
            _print_done_already(view, json_output=json_output)
            return 0
        view, interrupted = _follow(client, name, show_bar=not json_output and sys.stderr.isatty())
        report = None if interrupted or view["state"] != "done" else _save_report(client, data_dir, name)
    _print_summary(view, report, json_output=json_output)
    if interrupted:
        print(
            f"campaign {name} stopped: calls in flight finished; run the same command to resume it",
            file=sys.stderr,
        )
        return 130
    return 0 if view["state"] == "done" else 1


def _launch(client: ControlClient, launch: dict[str, Any]) -> dict[str, Any]:
    try:
        return client.launch_campaign(launch)
    except ControlError as error:
        if error.status == 422:
            # The file changed between this command's check and the server's.
            for problem in error.payload.get("problems", []):
                print(_problem_line(problem))
            raise CommandError(str(error)) from None
        if error.status == 409 and error.payload.get("reason") == "cancelled":
            raise CommandError(str(error)) from None
        raise UsageError(str(error)) from None


def _problem_line(problem: dict[str, Any]) -> str:
    column = problem.get("column")
    where = f"{problem.get('file')}:{problem.get('line')}:" + ("" if column is None else f" column {column}:")
    warning = " warning:" if problem.get("severity") == "warning" else ""
    return f"{where}{warning} {problem.get('message')}"


def _follow(client: ControlClient, name: str, *, show_bar: bool) -> tuple[dict[str, Any], bool]:
    """Watch the campaign until the server stops dialing it; its last view, and whether
    Ctrl-C stopped it (the server was asked to stop: the calls in flight finished)."""
    with _progress(name, enabled=show_bar) as show:
        try:
            return _until_not_dialing(client, name, show), False
        except KeyboardInterrupt:
            print("\nstopping: no new call; waiting for the calls in flight", file=sys.stderr)
            client.stop_campaign(name)
            return _until_not_dialing(client, name, show), True


def _until_not_dialing(
    client: ControlClient, name: str, show: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    while True:
        view = client.campaign(name)
        show(view)
        if not view["dialing"]:
            return view
        time.sleep(POLL_SECONDS)


@contextlib.contextmanager
def _progress(name: str, *, enabled: bool) -> Iterator[Callable[[dict[str, Any]], None]]:
    """What redraws the progress bar on stderr (on a terminal only): recipients settled
    of all, calls in flight, final outcomes so far."""
    if not enabled:
        yield lambda view: None
        return
    # Imported here: only a run on a terminal draws a bar.
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=Console(stderr=True)
    )
    task = progress.add_task(name, total=None)

    def show(view: dict[str, Any]) -> None:
        by_status = view["by_status"]
        settled = by_status.get("done", 0) + by_status.get("invalid", 0)
        outcomes = ", ".join(f"{outcome} {n}" for outcome, n in sorted(view["by_outcome"].items()))
        in_flight = f"{name}: {by_status.get('dialing', 0)} in flight"
        description = in_flight + (f", {outcomes}" if outcomes else "")
        progress.update(task, total=view["recipients"], completed=settled, description=description)

    with progress:
        yield show


def _save_report(client: ControlClient, data_dir: Path, name: str) -> Path | None:
    """Write the report of a campaign that ended to the data folder; its path, or None
    (said on stderr) when it could not be written: the report command writes it later."""
    path = data_dir / REPORTS_FOLDER / f"{name}.csv"
    try:
        text = client.campaign_report(name)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except (ControlError, OSError) as error:
        print(
            f"the report was not written ({error}): 'callflow campaign report {name}' writes it",
            file=sys.stderr,
        )
        return None
    return path


def _counts(view: dict[str, Any]) -> CampaignCounts:
    return CampaignCounts(view["by_status"], view["by_outcome"], view.get("next_attempt_at"))


def _as_json(view: dict[str, Any], report: Path | None) -> dict[str, object]:
    run = view.get("run") or {}
    return {
        "name": view["name"],
        "state": view["state"],
        "counts": dict(sorted(view["by_outcome"].items())),
        "by_status": dict(sorted(view["by_status"].items())),
        "recipients": view["recipients"],
        "calls_placed": run.get("calls_placed", 0),
        "retries": run.get("retries", 0),
        "report": None if report is None else str(report),
    }


def _print_done_already(view: dict[str, Any], *, json_output: bool) -> None:
    if json_output:
        print(json.dumps(_as_json(view, None), indent=2))
        return
    print(f"campaign {view['name']} is already done: no call placed")
    print(format_counts(_counts(view)), end="")


def _print_summary(view: dict[str, Any], report: Path | None, *, json_output: bool) -> None:
    if json_output:
        print(json.dumps(_as_json(view, report), indent=2))
        return
    name, run = view["name"], view.get("run") or {}
    print(f"campaign {name}: {view['state']}")
    print(format_counts(_counts(view)), end="")
    print(f"this run: {run.get('calls_placed', 0)} calls placed, {run.get('retries', 0)} retries scheduled")
    if run.get("unsettled"):
        print(f"{run['unsettled']} calls had not ended: the next run settles them")
    if report is not None:
        print(f"report: {report}")
    print(f"see it again: callflow campaign status {name}")
