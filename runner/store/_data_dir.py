"""Where the store lives: the data folder, and opening the store in it."""

from __future__ import annotations

import os
from pathlib import Path

from runner.store._errors import DataDirError
from runner.store._sqlite import SQLiteStore

DATA_DIR_ENV = "CALLFLOW_DATA_DIR"
DEFAULT_DATA_DIR = ".callflow"
STORE_FILENAME = "calls.sqlite3"


def resolve_data_dir(cli_value: str | None) -> Path:
    """``--data-dir`` if given, else ``$CALLFLOW_DATA_DIR``, else ``.callflow/`` in the
    current folder. Creates nothing: ``open_store`` does, on first use."""
    chosen = cli_value or os.environ.get(DATA_DIR_ENV)
    if chosen:
        return Path(chosen).expanduser()
    return Path.cwd() / DEFAULT_DATA_DIR


def open_store(data_dir: Path) -> SQLiteStore:
    """The store in ``data_dir``, creating the folder and the database if needed."""
    try:
        # Owner only: records hold phone numbers and what callers said.
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise DataDirError(data_dir, "it is a file, not a folder") from None
    except OSError as error:
        raise DataDirError(data_dir, error.strerror or str(error)) from None
    return SQLiteStore(data_dir / STORE_FILENAME)


def open_existing_store(data_dir: Path) -> SQLiteStore | None:
    """The store in ``data_dir``, or None when no call was ever recorded there.

    For readers: looking must not leave a ``.callflow/`` folder behind.
    """
    try:
        if data_dir.exists() and not data_dir.is_dir():
            raise DataDirError(data_dir, "it is a file, not a folder")
        if not (data_dir / STORE_FILENAME).exists():
            return None
    except OSError as error:
        raise DataDirError(data_dir, error.strerror or str(error)) from None
    return SQLiteStore(data_dir / STORE_FILENAME)
