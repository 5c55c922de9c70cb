"""A campaign's report: one CSV row a recipient, in the recipients file's line order.

The input columns come first, then how the recipient's calls went. Cells are made safe
for spreadsheets: a recipients file cannot smuggle a formula into whoever opens it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import Protocol

from runner.store import RecipientState

REPORT_COLUMNS = ("outcome", "attempts", "call_ids", "duration", "answered_by", "status")

# A spreadsheet runs a cell that starts with one of these as a formula; a leading quote
# makes it text. A plain number (a phone number in E.164, a negative amount) is no
# formula and is kept as written: a report's numbers must read back as they were.
FORMULA = re.compile(r"[=+\-@](?![0-9][0-9 .]*$)")


class Writable(Protocol):
    def write(self, text: str, /) -> object: ...


def input_columns(recipients: Iterable[RecipientState]) -> list[str]:
    """Every input column, in the order the recipients' values first show them (a row
    the check refused keeps every column of the file, a valid one the flow's inputs)."""
    columns: dict[str, None] = {}
    for recipient in recipients:
        columns.update(dict.fromkeys(recipient.values))
    return list(columns)


def write_report(out: Writable, columns: list[str], recipients: Iterable[RecipientState]) -> int:
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
