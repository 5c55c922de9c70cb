"""``callflow campaign report NAME`` and ``callflow campaign cancel NAME``: a campaign's
recipients as a CSV file, and stopping its dialing, both straight on the store."""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from runner.cli._base import CommandError, UsageError
from runner.cli._data_dir import reading_store
from runner.cli._server_args import records_dir
from runner.store import Campaign, RecipientState, SQLiteStore

REPORT_COLUMNS = ("outcome", "attempts", "call_ids", "duration", "answered_by", "status")

# A spreadsheet runs a cell that starts with one of these as a formula; a leading quote
# makes it text, so a recipients file cannot smuggle a formula into whoever opens the report.
# A plain number (a phone number in E.164, a negative amount) is no formula and is kept as
# written: a report's numbers must read back as they were.
FORMULA = re.compile(r"[=+\-@](?![0-9][0-9 .]*$)")


def report(args: argparse.Namespace) -> int:
    data_dir = records_dir(args)
    with reading_store(data_dir) as maybe_store:
        store, _ = _campaign_or_fail(maybe_store, args.name, data_dir)
        # Two passes over the stream: the first learns the columns (a row the check
        # refused keeps every column of the file, a valid one the flow's inputs), so no
        # recipient is held in memory, only the column names.
        columns = _input_columns(store.recipients(args.name))
        with ExitStack() as files:
            out: TextIO = sys.stdout
            if args.out is not None:
                try:
                    out = files.enter_context(args.out.open("w", encoding="utf-8", newline=""))
                except OSError as error:
                    raise UsageError(f"cannot write {args.out}: {error.strerror or error}") from None
            written = _write_report(out, columns, store.recipients(args.name))
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


def _input_columns(recipients: Iterable[RecipientState]) -> list[str]:
    """Every input column, in the order the recipients' values first show them."""
    columns: dict[str, None] = {}
    for recipient in recipients:
        columns.update(dict.fromkeys(recipient.values))
    return list(columns)


def _write_report(out: TextIO, columns: list[str], recipients: Iterable[RecipientState]) -> int:
    """Write the header and a row per recipient to ``out``; how many recipients."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_safe([*columns, *REPORT_COLUMNS]))
    written = 0
    for recipient in recipients:
        writer.writerow(_safe(_row(columns, recipient)))
        written += 1
    return written


def _row(columns: list[str], recipient: RecipientState) -> Iterator[str]:
    yield from (recipient.values.get(column, "") for column in columns)
    yield recipient.outcome or ""
    yield str(recipient.attempts)
    yield " ".join(recipient.call_ids)
    yield "" if recipient.duration is None else f"{recipient.duration:g}"
    yield recipient.answered_by or ""
    yield recipient.status


def _safe(cells: Iterable[str]) -> list[str]:
    return ["'" + cell if FORMULA.match(cell) else cell for cell in cells]
