"""``callflow status``: one call in full: its state, path, digits and transcript."""

from __future__ import annotations

import argparse
import json

from runner.cli._base import CommandError
from runner.cli._data_dir import reading_store
from runner.cli._records import utc
from runner.cli._server_args import add_server_arguments, records_dir
from runner.types import CallRecord

HELP = "print one call: its state, path, digits sent, end reason and transcript"
DESCRIPTION = """\
Print what the store knows of one call: its numbers and times, where it is (or how it
ended), the steps it went through, the digits it sent, and what each side said, each
line with the step it was said in. Times are UTC.

exit status: 0 the call was found, 1 there is no call with that id,
2 the data folder cannot be read."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "status", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--call-id", required=True, metavar="ID", help="the call's id (see 'callflow tail')")
    parser.add_argument("--json", action="store_true", help="print the whole record as JSON")
    add_server_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    data_dir = records_dir(args)
    with reading_store(data_dir) as store:
        record = None if store is None else store.get(args.call_id)
    if record is None:
        raise CommandError(f"no call with id '{args.call_id}' in {data_dir}")
    if args.json:
        print(json.dumps(record.as_json(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(describe(record)))
    return 0


def describe(record: CallRecord) -> list[str]:
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
        return [*lines, f"{'transcript:':<{width}}-"]
    lines.append("transcript:")
    step_width = max(len(entry.step or "") for entry in record.transcript)
    for entry in record.transcript:
        step = f"{entry.step or '':<{step_width}}  " if step_width else ""
        lines.append(f"  {step}{entry.speaker}: {entry.text}")
    return lines
