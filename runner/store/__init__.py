"""Call records, kept: the ``Store`` interface, its SQLite implementation, the data folder."""

from __future__ import annotations

from runner.store._codec import record_from_json
from runner.store._data_dir import (
    DATA_DIR_ENV,
    DEFAULT_DATA_DIR,
    STORE_FILENAME,
    open_existing_store,
    open_store,
    resolve_data_dir,
)
from runner.store._errors import (
    DataDirError,
    NotAStoreError,
    RecordError,
    StoreAccessError,
    StoreError,
    StoreLockedError,
    StoreVersionError,
)
from runner.store._protocol import Store
from runner.store._sqlite import SCHEMA_VERSION, SQLiteStore

__all__ = [
    "DATA_DIR_ENV",
    "DEFAULT_DATA_DIR",
    "SCHEMA_VERSION",
    "STORE_FILENAME",
    "DataDirError",
    "NotAStoreError",
    "RecordError",
    "SQLiteStore",
    "Store",
    "StoreAccessError",
    "StoreError",
    "StoreLockedError",
    "StoreVersionError",
    "open_existing_store",
    "open_store",
    "record_from_json",
    "resolve_data_dir",
]
