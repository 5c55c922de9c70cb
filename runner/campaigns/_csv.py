"""Read a recipients file: one header row naming the columns, then one recipient a row.

The ``csv`` module does the splitting, so quoted fields may hold commas and line
breaks, and CRLF and LF files read the same. Each row keeps the line of the file it
starts on, so a message about it points where an editor shows it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from flows import cyclic_gc_paused

#: UTF-8, with the byte order mark some spreadsheets write dropped when it is there.
ENCODING = "utf-8-sig"


class RecipientsFileError(Exception):
    """The recipients file cannot be read, is not UTF-8 text, or has no header row."""


@dataclass(frozen=True)
class Row:
    """One recipient: the file's line it starts on, and its cells in the header's order."""

    line: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class RecipientsFile:
    path: str
    header: tuple[str, ...]
    rows: tuple[Row, ...]


def read_recipients(path: Path) -> RecipientsFile:
    """The header and the rows of the CSV file at ``path``; blank lines are skipped.

    Raises RecipientsFileError when the file cannot be read or decoded, is empty, or
    its header names no column or one column twice.
    """
    try:
        # A row and its cells a line, all kept: see cyclic_gc_paused.
        with cyclic_gc_paused(), path.open(encoding=ENCODING, newline="") as source:
            reader = csv.reader(source)
            header: tuple[str, ...] | None = None
            rows: list[Row] = []
            next_line = 1
            for cells in reader:
                line, next_line = next_line, reader.line_num + 1
                if not cells or cells == [""]:
                    continue
                if header is None:
                    header = _header(path, line, cells)
                else:
                    rows.append(Row(line, tuple(cells)))
    except OSError as error:
        raise RecipientsFileError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise RecipientsFileError(
            f"{path} is not UTF-8 text (byte {error.start + 1}); save it as CSV UTF-8"
        ) from None
    except csv.Error as error:
        raise RecipientsFileError(f"{path}:{reader.line_num}: not valid CSV: {error}") from None
    if header is None:
        raise RecipientsFileError(f"{path} is empty: it needs a header row naming the columns")
    return RecipientsFile(str(path), header, tuple(rows))


def _header(path: Path, line: int, cells: list[str]) -> tuple[str, ...]:
    names = tuple(cell.strip() for cell in cells)
    if "" in names:
        column = names.index("") + 1
        raise RecipientsFileError(f"{path}:{line}: the header's column {column} has no name")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise RecipientsFileError(f"{path}:{line}: the header names column '{name}' twice")
        seen.add(name)
    return names
