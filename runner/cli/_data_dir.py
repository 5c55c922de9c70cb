"""The ``--data-dir`` option, and the store as the commands that only read it see it."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runner.cli._base import UsageError
from runner.store import (
    DATA_DIR_ENV,
    DEFAULT_DATA_DIR,
    SQLiteStore,
    StoreError,
    open_existing_store,
    open_store,
)
from runner.types import CallRecord


def add_data_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"the folder that keeps call records (default: ${DATA_DIR_ENV} if set, "
        f"else {DEFAULT_DATA_DIR}/ in the current folder)",
    )


@contextmanager
def reading_store(data_dir: Path) -> Iterator[SQLiteStore | None]:
    """The store in ``data_dir``, or None when no call was recorded there yet.

    A store that cannot be read (not a callflow database, locked, a bad record) is
    unreadable input: a usage error, exit 2, one line and no traceback.
    """
    try:
        store = open_existing_store(data_dir)
        if store is None:
            yield None
            return
        with store:
            yield store
    except StoreError as error:
        raise UsageError(str(error)) from None


def no_calls_yet(data_dir: Path) -> str:
    return f"no calls recorded in {data_dir} yet"


def save_record(data_dir: Path, record: CallRecord) -> Path:
    """Keep ``record`` in the store of the data folder; the folder it went to.

    A store that cannot be opened or written is a usage error, like an unreadable one.
    """
    try:
        with open_store(data_dir) as store:
            store.save(record)
    except StoreError as error:
        raise UsageError(str(error)) from None
    return data_dir
