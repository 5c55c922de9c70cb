"""The call store in one SQLite file: ``calls.sqlite3`` in the data folder."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import orjson

from runner.store._campaign_schema import CAMPAIGN_SCHEMA, CAMPAIGN_SCHEMA_4
from runner.store._campaign_sqlite import SQLiteCampaigns
from runner.store._codec import record_from_json
from runner.store._errors import (
    NotAStoreError,
    RecordError,
    StoreAccessError,
    StoreError,
    StoreLockedError,
    StoreVersionError,
)
from runner.types import CallRecord

#: Bumped by every change to the tables; kept in ``PRAGMA user_version``. A later
#: version migrates older files forward when it opens them.
SCHEMA_VERSION = 4

# 'CFLW' in the file header (PRAGMA application_id): tells our database apart from any
# other SQLite file that happens to sit at the same path.
_APPLICATION_ID = 0x43464C57

# A carrier call id starts at most one call, whatever happened since (a restart, the
# replay window gone by): the webhook of a new call looks its id up here first.
_CARRIER_ID_INDEX = (
    "CREATE INDEX calls_by_carrier_id ON calls (carrier_call_id) WHERE carrier_call_id IS NOT NULL"
)

#: What brings a file of each older version to the next one.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "ALTER TABLE calls ADD COLUMN carrier_call_id TEXT",
        # Version 1 kept the id only in the live state of calls in flight.
        "UPDATE calls SET carrier_call_id = json_extract(live, '$.carrier_call_id') WHERE live IS NOT NULL",
        _CARRIER_ID_INDEX,
        "PRAGMA user_version = 2",
    ),
    2: (*CAMPAIGN_SCHEMA, "PRAGMA user_version = 3"),
    3: (*CAMPAIGN_SCHEMA_4, "PRAGMA user_version = 4"),
}

# Statements, not one script: executescript() would commit the transaction they run in.
_SCHEMA = (
    # seq is the save counter behind changed_since(). INSERT OR REPLACE deletes the old
    # row and inserts a new one, so every save gets a fresh seq; AUTOINCREMENT keeps SQLite
    # from reusing the seq of the row it just deleted, which a follower would then miss.
    # record is CallRecord.as_json(); the other columns are copies of it to query by.
    # live is the engine's state of a call in flight (JSON), NULL once it has ended.
    """
    CREATE TABLE calls (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        flow TEXT NOT NULL,
        created_at REAL NOT NULL,
        ended_at REAL,
        end_reason TEXT,
        record TEXT NOT NULL,
        live TEXT,
        carrier_call_id TEXT
    )
    """,
    # Only calls in flight are in this index, so finding them after a restart is cheap.
    "CREATE INDEX calls_in_flight ON calls (seq) WHERE live IS NOT NULL",
    # Each index costs every save a B-tree write: add one only for a query that needs it
    # (a later schema version adds flow and end_reason when campaigns report by them).
    # An index also holds the rowid (seq), so this one serves ORDER BY created_at, seq.
    "CREATE INDEX calls_by_created_at ON calls (created_at)",
    _CARRIER_ID_INDEX,
    *CAMPAIGN_SCHEMA,
    *CAMPAIGN_SCHEMA_4,
    f"PRAGMA application_id = {_APPLICATION_ID}",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)

_SAVE = """
INSERT OR REPLACE INTO calls (id, flow, created_at, ended_at, end_reason, record, live, carrier_call_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""


def _row(record: CallRecord, live: Mapping[str, Any] | None) -> tuple[Any, ...]:
    text = _json(record.as_json())
    state = None if live is None else _json(live)
    return (
        record.id,
        record.flow,
        record.created_at,
        record.ended_at,
        record.end_reason,
        text,
        state,
        record.carrier_call_id,
    )


def _json(value: Any) -> str:
    """Compact UTF-8 JSON. orjson writes the same text as the standard library in a tenth
    of the time (a call is saved on every webhook), but refuses integers over 64 bits,
    which a flow's variables may hold."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class SQLiteStore(SQLiteCampaigns):
    """The ``Store`` and the ``CampaignStore`` in one SQLite file, created on first open.

    One instance belongs to the thread that opened it (sqlite3 checks this and raises
    ``ProgrammingError`` otherwise); open one per thread. Any number of processes may
    open the same file: SQLite's locks serialize writers, and in WAL mode readers never
    wait for them. A writer that waits longer than ``busy_timeout`` seconds gets
    ``StoreLockedError``.
    """

    def __init__(self, path: Path, *, busy_timeout: float = 5.0) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        with self._translated():
            # isolation_level=None is autocommit: each save is one INSERT that commits itself.
            self._db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
        try:
            with self._translated():
                self._prepare()
        except BaseException:
            self._db.close()
            raise

    def _prepare(self) -> None:
        if not self._is_ours() or self._version() < SCHEMA_VERSION:
            # Two processes may create the file at once: the write lock picks one, and the
            # other sees the finished schema when it checks again under the lock.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if not self._is_ours():
                    for statement in _SCHEMA:
                        self._db.execute(statement)
                for version in range(self._version(), SCHEMA_VERSION):
                    for statement in _MIGRATIONS[version]:
                        self._db.execute(statement)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        # WAL: a commit is one append to the -wal file, and readers (tail --follow) never
        # block the writer. synchronous=NORMAL skips the fsync on every commit, which is
        # what makes thousands of saves a second possible. It still survives the process
        # being killed: a commit is in the operating system's file cache when save()
        # returns, and the next open replays the WAL. Only a power cut or kernel crash can
        # lose the last commits, and even then the file stays consistent.
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")

    def _version(self) -> int:
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        return int(version)

    def _is_ours(self) -> bool:
        """True for a callflow database, False for an empty file; raises for anything else."""
        (application_id,) = self._db.execute("PRAGMA application_id").fetchone()
        if application_id == _APPLICATION_ID:
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise StoreVersionError(self.path, version, SCHEMA_VERSION)
            return True
        if application_id != 0 or self._db.execute("SELECT 1 FROM sqlite_schema LIMIT 1").fetchone():
            raise NotAStoreError(self.path, "it is another program's SQLite database")
        return False

    def save(self, record: CallRecord, live: Mapping[str, Any] | None = None) -> None:
        with self._translated():
            self._db.execute(_SAVE, _row(record, live))

    def save_many(self, items: Sequence[tuple[CallRecord, Mapping[str, Any] | None]]) -> None:
        if len(items) == 1:
            self.save(*items[0])
            return
        rows = [_row(record, live) for record, live in items]
        # One commit for all: a commit costs several times what one insert does.
        with self._translated():
            self._db.execute("BEGIN")
            try:
                self._db.executemany(_SAVE, rows)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def live(self, call_id: str) -> tuple[CallRecord, dict[str, Any]] | None:
        with self._translated():
            row = self._db.execute(
                "SELECT id, record, live FROM calls WHERE id = ? AND live IS NOT NULL", (call_id,)
            ).fetchone()
        return None if row is None else (self._decode(row[0], row[1]), self._decode_live(row[0], row[2]))

    def in_flight(self) -> list[tuple[CallRecord, dict[str, Any]]]:
        with self._translated():
            rows = self._db.execute(
                "SELECT id, record, live FROM calls WHERE live IS NOT NULL ORDER BY seq"
            ).fetchall()
        return [
            (self._decode(call_id, text), self._decode_live(call_id, live)) for call_id, text, live in rows
        ]

    def by_carrier_id(self, carrier_call_id: str) -> CallRecord | None:
        with self._translated():
            row = self._db.execute(
                "SELECT id, record FROM calls WHERE carrier_call_id = ? ORDER BY seq DESC LIMIT 1",
                (carrier_call_id,),
            ).fetchone()
        return None if row is None else self._decode(*row)

    def carrier_call_ids(self) -> Iterator[str]:
        with self._translated():
            # Read from the index alone, not the table.
            rows = self._db.execute("SELECT carrier_call_id FROM calls WHERE carrier_call_id IS NOT NULL")
            try:
                for (carrier_call_id,) in rows:
                    yield carrier_call_id
            finally:
                rows.close()

    def get(self, call_id: str) -> CallRecord | None:
        with self._translated():
            row = self._db.execute("SELECT id, record FROM calls WHERE id = ?", (call_id,)).fetchone()
        return None if row is None else self._decode(*row)

    def recent(self, limit: int) -> list[CallRecord]:
        if limit < 0:
            raise ValueError(f"limit must be 0 or more, not {limit}")
        with self._translated():
            rows = self._db.execute(
                "SELECT id, record FROM calls ORDER BY created_at DESC, seq DESC LIMIT ?", (limit,)
            ).fetchall()
        return [self._decode(*row) for row in rows]

    def cursor(self) -> int:
        with self._translated():
            (seq,) = self._db.execute("SELECT coalesce(max(seq), 0) FROM calls").fetchone()
        return int(seq)

    def changed_since(self, cursor: int) -> tuple[list[CallRecord], int]:
        with self._translated():
            rows = self._db.execute(
                "SELECT seq, id, record FROM calls WHERE seq > ? ORDER BY seq", (cursor,)
            ).fetchall()
        records = [self._decode(call_id, text) for _, call_id, text in rows]
        return records, (rows[-1][0] if rows else cursor)

    def all(self) -> Iterator[CallRecord]:
        with self._translated():
            rows = self._db.execute("SELECT id, record FROM calls ORDER BY created_at, seq")
            try:
                for call_id, text in rows:
                    yield self._decode(call_id, text)
            finally:
                rows.close()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _decode(self, call_id: str, text: str) -> CallRecord:
        try:
            return record_from_json(json.loads(text))
        except json.JSONDecodeError as error:
            raise RecordError(f"not JSON ({error})", call_id, self.path) from None
        except RecordError as error:
            raise RecordError(error.reason, call_id, self.path) from None

    def _decode_live(self, call_id: str, text: str) -> dict[str, Any]:
        try:
            state = json.loads(text)
        except json.JSONDecodeError as error:
            raise RecordError(f"live state is not JSON ({error})", call_id, self.path) from None
        if not isinstance(state, dict):
            raise RecordError("live state is not an object", call_id, self.path)
        return state

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Turn the SQLite errors a user can cause into ``StoreError``; misuse passes through."""
        try:
            yield
        except (sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise
        except sqlite3.DatabaseError as error:
            raise self._store_error(error) from error

    def _store_error(self, error: sqlite3.DatabaseError) -> StoreError:
        # Extended result codes (SQLITE_BUSY_SNAPSHOT, ...) keep the primary code in the low byte.
        code = (error.sqlite_errorcode or 0) & 0xFF
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return StoreLockedError(self.path, self.busy_timeout)
        if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
            return NotAStoreError(self.path, str(error))
        return StoreAccessError(self.path, str(error))
