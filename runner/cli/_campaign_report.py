"""``callflow campaign report NAME`` and ``callflow campaign cancel NAME``: a campaign's
recipients as a CSV file, and stopping its dialing, both straight on the store."""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from runner.campaigns import input_columns, write_report
from runner.cli._base import CommandError, UsageError
from runner.cli._data_dir import reading_store
from runner.cli._server_args import records_dir
from runner.store import Campaign, SQLiteStore


def report(args: argparse.Namespace) -> int:
    data_dir = records_dir(args)
    with reading_store(data_dir) as maybe_store:
        store, _ = _campaign_or_fail(maybe_store, args.name, data_dir)
        # Two passes over the stream: the first learns the columns (a row the check
        # refused keeps every column of the file, a valid one the flow's inputs), so no
        # recipient is held in memory, only the column names.
        columns = input_columns(store.recipients(args.name))
        with ExitStack() as files:
            out: TextIO = sys.stdout
            if args.out is not None:
                try:
                    out = files.enter_context(args.out.open("w", encoding="utf-8", newline=""))
                except OSError as error:
                    raise UsageError(f"cannot write {args.out}: {error.strerror or error}") from None
            written = write_report(out, columns, store.recipients(args.name))
    if args.out is not None:
        print(f"report of campaign {args.name}: {written} recipients written to {args.out}")
    return 0


def cancel(args: argparse.Namespace) -> int:
    data_dir = records_dir(args)
    with reading_store(data_dir) as maybe_store:
        store, campaign = _campaign_or_fail(maybe_store, args.name, data_dir)
        if campaign.state == "done":
            raise CommandError(f"campaign {args.name} is done: nothing to cancel")
        if campaign.state == "cancelled":
            print(f"campaign {args.name} is already cancelled")
            return 0
        store.set_campaign_state(args.name, "cancelled", now=time.time())
    print(f"campaign {args.name} cancelled: no new call is placed; calls in flight finish")
    return 0


def _campaign_or_fail(store: SQLiteStore | None, name: str, data_dir: Path) -> tuple[SQLiteStore, Campaign]:
    """The store and its campaign ``name``; else the usage error ``campaign status`` gives,
    naming the known ones."""
    found = None if store is None else store.campaign(name)
    if store is not None and found is not None:
        return store, found
    known = "none yet" if store is None else ", ".join(s.campaign.name for s in store.campaigns())
    raise UsageError(f"no campaign named '{name}' in {data_dir} (known: {known or 'none yet'})")
