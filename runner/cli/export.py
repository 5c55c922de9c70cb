"""``callflow export``: every call record, as JSON Lines."""

from __future__ import annotations

import argparse
import json
import sys

from runner.cli._base import UsageError
from runner.cli._data_dir import no_calls_yet, reading_store
from runner.cli._server_args import add_server_arguments, records_dir

HELP = "print every call record as JSON Lines, oldest first"
DESCRIPTION = """\
Print every call record in the data folder, oldest first, one JSON object per line
(JSON Lines): the whole record, with its transcript, turns and path. Records are
read and written one at a time, so a large store streams instead of filling memory.

  callflow export --jsonl > calls.jsonl"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "export", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # A flag for the only format so far: scripts that pass it keep working when CSV comes.
    parser.add_argument("--jsonl", action="store_true", help="one JSON object per line (required)")
    add_server_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not args.jsonl:
        raise UsageError("JSONL is the only export format for now: pass --jsonl")
    data_dir = records_dir(args)
    exported = 0
    with reading_store(data_dir) as store:
        for record in () if store is None else store.all():
            print(json.dumps(record.as_json(), ensure_ascii=False, separators=(",", ":")))
            exported += 1
    if not exported:
        # stderr: stdout is the data, and an empty JSON Lines file is a valid one.
        print(no_calls_yet(data_dir), file=sys.stderr)
    return 0
