"""``callflow status``: one call in full: its state, path, digits and transcript, and
for a call waiting at a consult step, what the step asks."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from runner.cli._base import CommandError
from runner.cli._config_arg import load_config_or_fail
from runner.cli._data_dir import reading_store
from runner.cli._records import utc
from runner.cli._server_args import add_server_arguments, control_url, data_dir_for
from runner.client import ControlClient, ControlError, ServerUnreachable
from runner.config import Config
from runner.server import read_control_token
from runner.store import RecordError, record_from_json
from runner.types import CallRecord

HELP = "print one call: its state, path, digits sent, end reason and transcript"
DESCRIPTION = """\
Print what the store knows of one call: its numbers and times, where it is (or how it
ended), the steps it went through, the digits it sent, and what each side said, each
line with the step it was said in. Times are UTC.

For a call in flight, the running server (if one serves this data folder) is asked
too: it knows the latest turn, and while a consult step waits for someone to answer
with 'callflow speak' or 'callflow continue', what the step asks and what the caller
said last.

exit status: 0 the call was found, 1 there is no call with that id,
2 the data folder cannot be read."""

#: The keys the control API adds to a call's record.
_STATUS_KEYS = ("waiting_for", "consult")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "status", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--call-id", required=True, metavar="ID", help="the call's id (see 'callflow tail')")
    parser.add_argument("--json", action="store_true", help="print the whole record as JSON")
    add_server_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config = load_config_or_fail(args)
    data_dir = data_dir_for(args, config)
    with reading_store(data_dir) as store:
        record = None if store is None else store.get(args.call_id)
    if record is None:
        raise CommandError(f"no call with id '{args.call_id}' in {data_dir}")
    consult = None
    if record.end_reason is None:
        live = _live_status(config, data_dir, args.call_id)
        if live is not None:
            record, consult = live
    if args.json:
        data = record.as_json() if consult is None else {**record.as_json(), "consult": consult}
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print("\n".join(describe(record, consult)))
    return 0


def _live_status(
    config: Config, data_dir: Path, call_id: str
) -> tuple[CallRecord, dict[str, Any] | None] | None:
    """The call as the server running it in this data folder has it (the store lags by
    the turn in progress), with what its waiting consult step asks; None when no server
    answers for it."""
    token = read_control_token(data_dir)
    if token is None:
        return None
    with ControlClient(control_url(config), token, timeout=5.0) as client:
        if not client.is_callflow():
            return None
        try:
            status = client.status(call_id)
        except (ControlError, ServerUnreachable):
            return None
    try:
        record = record_from_json({key: value for key, value in status.items() if key not in _STATUS_KEYS})
    except RecordError:
        return None  # a server of another version: the store's record is enough
    consult = status.get("consult")
    return record, consult if isinstance(consult, dict) else None


def describe(record: CallRecord, consult: dict[str, Any] | None = None) -> list[str]:
    """The call as lines of text; ``consult`` is what its waiting consult step asks."""
    fields: list[tuple[str, object]] = [
        ("call", record.id),
        ("flow", record.flow),
        ("provider", record.provider),
        ("direction", record.direction),
        ("from", record.from_number or "-"),
        ("to", record.to_number or "-"),
        ("created", utc(record.created_at)),
    ]
    for label, at in (
        ("ringing", record.ringing_at),
        ("answered", record.answered_at),
        ("ended", record.ended_at),
    ):
        if at is not None:
            fields.append((label, utc(at)))
    fields.append(("state", record.lifecycle))
    if record.step is not None:
        fields.append(("step", record.step))
    if record.end_reason is not None:
        fields.append(("end reason", record.end_reason))
    if record.error is not None:
        fields.append(("error", record.error))
    fields.append(("path", " > ".join(record.path) or "-"))
    fields.append(("digits sent", ", ".join(record.digits_sent) or "-"))
    width = max(len(label) for label, _ in fields) + 2
    lines = [f"{label + ':':<{width}}{value}" for label, value in fields]
    if not record.transcript:
        lines.append(f"{'transcript:':<{width}}-")
    else:
        lines.append("transcript:")
        step_width = max(len(entry.step or "") for entry in record.transcript)
        for entry in record.transcript:
            step = f"{entry.step or '':<{step_width}}  " if step_width else ""
            lines.append(f"  {step}{entry.speaker}: {entry.text}")
    if consult is not None:
        lines.append(
            f"waiting for the agent: {consult.get('prompt')}; the caller said: {consult.get('heard')}"
        )
    return lines
