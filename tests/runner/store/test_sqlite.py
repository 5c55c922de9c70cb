"""The SQLite store on real files: saving, reading, following, the data folder, failures."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from runner.store import (
    DATA_DIR_ENV,
    SCHEMA_VERSION,
    STORE_FILENAME,
    DataDirError,
    NotAStoreError,
    RecordError,
    SQLiteStore,
    StoreAccessError,
    StoreLockedError,
    StoreVersionError,
    open_existing_store,
    open_store,
    record_from_json,
    resolve_data_dir,
)
from runner.types import CallRecord, Direction, EndReason, Lifecycle, Speaker, TranscriptEntry, Turn
from tests.conftest import PROJECT
from tests.runner.store import T0, dial_in_call, failed_call, hotline_call, reminder_call

ALL_KINDS = [reminder_call(), hotline_call(), dial_in_call(), failed_call()]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with open_store(tmp_path) as store:
        yield store


def raw(data_dir: Path) -> closing[sqlite3.Connection]:
    """A plain connection to the store's file, to look under the hood or damage it."""
    return closing(sqlite3.connect(data_dir / STORE_FILENAME, isolation_level=None))


# -- saving and reading ------------------------------------------------------------


@pytest.mark.parametrize("record", ALL_KINDS, ids=lambda record: record.flow)
def test_a_saved_record_comes_back_equal(store: SQLiteStore, record: CallRecord) -> None:
    store.save(record)
    assert store.get(record.id) == record


def test_a_record_survives_closing_and_reopening(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        store.save(hotline_call())
    with open_store(tmp_path) as store:
        assert store.get("call-0002") == hotline_call()


def test_an_unknown_id_is_none(store: SQLiteStore) -> None:
    store.save(reminder_call())
    assert store.get("call-9999") is None


def test_saving_the_same_id_again_replaces_the_record(store: SQLiteStore) -> None:
    ringing = dataclasses.replace(
        dial_in_call(), lifecycle=Lifecycle.RINGING, transcript=[], path=[], turns=[]
    )
    store.save(ringing)
    store.save(dial_in_call())
    assert store.get("call-0003") == dial_in_call()
    assert store.recent(10) == [dial_in_call()]


def test_recent_is_newest_first_by_creation_not_by_save(store: SQLiteStore) -> None:
    for record in (hotline_call(), failed_call(), reminder_call(), dial_in_call()):
        store.save(record)
    assert [record.id for record in store.recent(3)] == ["call-0004", "call-0003", "call-0002"]
    assert store.recent(0) == []


def test_all_streams_every_record_oldest_first(store: SQLiteStore) -> None:
    for record in reversed(ALL_KINDS):
        store.save(record)
    records = store.all()
    assert iter(records) is records
    assert list(records) == ALL_KINDS


def test_the_columns_copy_the_record_for_queries(store: SQLiteStore, tmp_path: Path) -> None:
    store.save(reminder_call())
    store.save(dial_in_call())
    with raw(tmp_path) as db:
        rows = db.execute(
            "SELECT id, flow, created_at, ended_at, end_reason FROM calls ORDER BY seq"
        ).fetchall()
    assert rows == [
        ("call-0001", "appointment-reminder", T0, T0 + 17.5, "hangup-bot"),
        ("call-0003", "meeting-dial-in", T0 + 120, None, None),
    ]


def test_only_the_columns_queried_by_are_indexed(store: SQLiteStore, tmp_path: Path) -> None:
    with raw(tmp_path) as db:
        names = db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'calls'")
        indexed = {db.execute(f"PRAGMA index_info('{name}')").fetchone()[2] for (name,) in names.fetchall()}
    # seq is the rowid: the table itself is ordered by it. id is looked up by status,
    # created_at orders tail and latency, the partial index on seq holds only calls in
    # flight, and carrier_call_id finds the call a carrier's webhook names; every other
    # index would slow every save.
    assert indexed == {"id", "created_at", "seq", "carrier_call_id"}


def test_a_call_is_found_by_the_carriers_id_newest_first(store: SQLiteStore) -> None:
    first = dataclasses.replace(reminder_call("call-0001"), carrier_call_id="CA-1")
    again = dataclasses.replace(hotline_call("call-0002"), carrier_call_id="CA-1")
    store.save(first)
    assert store.by_carrier_id("CA-1") == first
    store.save(again)
    assert store.by_carrier_id("CA-1") == again
    assert store.by_carrier_id("CA-2") is None
    store.save(dataclasses.replace(dial_in_call("call-0003"), carrier_call_id="CA-3"))
    store.save(failed_call("call-0004"))
    assert sorted(store.carrier_call_ids()) == ["CA-1", "CA-1", "CA-3"]


def test_a_version_1_file_is_brought_forward_with_the_carrier_ids_of_calls_in_flight(tmp_path: Path) -> None:
    with raw(tmp_path) as db:
        for statement in _VERSION_1:
            db.execute(statement)
        live = {"carrier_call_id": "CA-live", "step": "menu"}
        in_flight = dial_in_call("call-0003")
        db.execute(
            "INSERT INTO calls (id, flow, created_at, record, live) VALUES (?, ?, ?, ?, ?)",
            (
                in_flight.id,
                in_flight.flow,
                in_flight.created_at,
                json.dumps(in_flight.as_json()),
                json.dumps(live),
            ),
        )
    with open_store(tmp_path) as store:
        found = store.by_carrier_id("CA-live")
        assert found is not None
        assert found.id == "call-0003"
        assert store.live("call-0003") == (in_flight, live)
    with raw(tmp_path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


# The tables as callflow 0.1 (schema version 1) made them.
_VERSION_1 = (
    """
    CREATE TABLE calls (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        flow TEXT NOT NULL,
        created_at REAL NOT NULL,
        ended_at REAL,
        end_reason TEXT,
        record TEXT NOT NULL,
        live TEXT
    )
    """,
    "CREATE INDEX calls_in_flight ON calls (seq) WHERE live IS NOT NULL",
    "CREATE INDEX calls_by_created_at ON calls (created_at)",
    "PRAGMA application_id = 1128680535",
    "PRAGMA user_version = 1",
)


# -- following changes -------------------------------------------------------------


def test_an_empty_store_has_cursor_zero_and_no_changes(store: SQLiteStore) -> None:
    assert store.cursor() == 0
    assert store.changed_since(0) == ([], 0)


def test_changed_since_returns_later_saves_in_save_order(store: SQLiteStore) -> None:
    store.save(reminder_call())
    cursor = store.cursor()
    store.save(failed_call())
    store.save(hotline_call())
    changed, next_cursor = store.changed_since(cursor)
    assert changed == [failed_call(), hotline_call()]
    assert next_cursor == store.cursor() > cursor
    assert store.changed_since(next_cursor) == ([], next_cursor)


def test_a_record_saved_twice_since_the_cursor_comes_once_as_last_saved(store: SQLiteStore) -> None:
    cursor = store.cursor()
    in_progress = dataclasses.replace(dial_in_call(), lifecycle=Lifecycle.RINGING)
    store.save(in_progress)
    store.save(reminder_call())
    store.save(dial_in_call())
    changed, _ = store.changed_since(cursor)
    assert changed == [reminder_call(), dial_in_call()]


def test_replacing_the_latest_record_still_moves_the_cursor(store: SQLiteStore) -> None:
    store.save(reminder_call())
    cursor = store.cursor()
    ended = dataclasses.replace(reminder_call(), error="carrier status callback arrived twice")
    store.save(ended)
    assert store.changed_since(cursor) == ([ended], cursor + 1)


# -- the file itself ---------------------------------------------------------------


def test_the_file_is_in_wal_mode_and_carries_its_schema_version(store: SQLiteStore, tmp_path: Path) -> None:
    store.save(reminder_call())
    with raw(tmp_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_garbage_in_the_file_is_not_a_callflow_database(tmp_path: Path) -> None:
    (tmp_path / STORE_FILENAME).write_bytes(b"these are not the pages you are looking for\n" * 200)
    with pytest.raises(NotAStoreError) as caught:
        open_store(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / STORE_FILENAME} is not a callflow database (file is not a database); "
        "move it away or pick another --data-dir"
    )


def test_another_programs_sqlite_database_is_left_alone(tmp_path: Path) -> None:
    with raw(tmp_path) as db:
        db.execute("CREATE TABLE bookmarks (url TEXT)")
    with pytest.raises(NotAStoreError, match="it is another program's SQLite database"):
        open_store(tmp_path)
    with raw(tmp_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_a_file_from_a_newer_callflow_names_both_versions(store: SQLiteStore, tmp_path: Path) -> None:
    store.close()
    with raw(tmp_path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreVersionError) as caught:
        open_store(tmp_path)
    assert (caught.value.found, caught.value.supported) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
    assert "upgrade callflow" in str(caught.value)


def test_a_writer_that_waits_too_long_gets_a_locked_error(tmp_path: Path) -> None:
    open_store(tmp_path).close()
    with raw(tmp_path) as holder, SQLiteStore(tmp_path / STORE_FILENAME, busy_timeout=0.05) as store:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(
            StoreLockedError, match=r"stayed locked by another process for more than 0\.05 s$"
        ):
            store.save(reminder_call())
        # In WAL mode a held write lock never stops a reader.
        assert store.recent(10) == []
        holder.execute("ROLLBACK")


def test_a_row_that_is_not_json_names_the_call_and_the_file(store: SQLiteStore, tmp_path: Path) -> None:
    store.save(reminder_call())
    with raw(tmp_path) as db:
        db.execute("UPDATE calls SET record = '{\"id\": ' WHERE id = 'call-0001'")
    with pytest.raises(RecordError) as caught:
        store.get("call-0001")
    assert caught.value.call_id == "call-0001"
    assert str(caught.value).startswith(
        f"{tmp_path / STORE_FILENAME}: call record 'call-0001' cannot be read: not JSON"
    )


def test_records_saved_before_the_process_is_killed_are_kept(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from runner.store import open_store
        from tests.runner.store import reminder_call

        store = open_store(Path({str(tmp_path)!r}))
        for number in range(50):
            store.save(reminder_call(f"call-{{number:04}}", created_at=1714555800.0 + number))
        print("saved", flush=True)
        time.sleep(600)
        """
    )
    environment = {**os.environ, "PYTHONPATH": str(PROJECT)}
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=environment
    ) as process:
        assert process.stdout is not None
        assert process.stdout.readline() == "saved\n"
        process.send_signal(signal.SIGKILL)
        assert process.wait() == -signal.SIGKILL
    assert (tmp_path / f"{STORE_FILENAME}-wal").exists(), "the kill should leave the WAL unmerged"
    with open_store(tmp_path) as store:
        assert [record.id for record in store.all()] == [f"call-{number:04}" for number in range(50)]


# -- the data folder ---------------------------------------------------------------


def test_data_dir_option_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from-env"))
    assert resolve_data_dir(str(tmp_path / "from-option")) == tmp_path / "from-option"


def test_the_environment_wins_over_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from-env"))
    assert resolve_data_dir(None) == tmp_path / "from-env"


def test_the_default_is_dot_callflow_in_the_current_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    assert resolve_data_dir(None) == tmp_path / ".callflow"
    assert not (tmp_path / ".callflow").exists()


def test_the_data_folder_is_created_on_first_use_for_the_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "state" / "callflow"
    with open_store(data_dir) as store:
        store.save(reminder_call())
    assert data_dir.stat().st_mode & 0o777 == 0o700
    assert (data_dir / STORE_FILENAME).is_file()


def test_a_data_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "calls").write_text("not a folder\n", encoding="utf-8")
    with pytest.raises(DataDirError, match=r"cannot use data folder .*calls: it is a file, not a folder"):
        open_store(tmp_path / "calls")
    with pytest.raises(DataDirError, match="it is a file, not a folder"):
        open_existing_store(tmp_path / "calls")


def test_readers_find_no_store_and_create_nothing(tmp_path: Path) -> None:
    assert open_existing_store(tmp_path / "nothing-here") is None
    assert not (tmp_path / "nothing-here").exists()


# -- the record codec --------------------------------------------------------------


@pytest.mark.parametrize("record", ALL_KINDS, ids=lambda record: record.flow)
def test_the_codec_inverts_as_json_through_json_text(record: CallRecord) -> None:
    restored = record_from_json(json.loads(json.dumps(record.as_json())))
    assert restored == record


def test_the_codec_restores_enums_and_nested_dataclasses() -> None:
    restored = record_from_json(json.loads(json.dumps(reminder_call().as_json())))
    assert type(restored.direction) is Direction
    assert type(restored.end_reason) is EndReason
    assert type(restored.lifecycle) is EndReason
    assert all(
        type(entry) is TranscriptEntry and type(entry.speaker) is Speaker for entry in restored.transcript
    )
    assert all(type(turn) is Turn for turn in restored.turns)
    assert type(record_from_json(dial_in_call().as_json()).lifecycle) is Lifecycle


def test_the_codec_drops_the_derived_keys() -> None:
    data = hotline_call().as_json()
    assert "said" in data
    assert {"latency", "listen_wait"} <= data["turns"][0].keys()
    assert record_from_json(data).turns[0].latency == pytest.approx(9.5)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda data: data.pop("flow"), "record has no flow"),
        (lambda data: data.update(colour="blue"), "unknown record key colour"),
        (lambda data: data.update(direction="sideways"), "'sideways' is not a valid Direction"),
        (lambda data: data.update(lifecycle="dancing"), "'dancing' is not a valid Lifecycle"),
        (lambda data: data["transcript"][0].update(speaker="parrot"), "'parrot' is not a valid Speaker"),
        (lambda data: data["turns"][0].pop("started_at"), "turn has no started_at"),
        (lambda data: data.update(turns="none"), "expected a list for turns, found str"),
    ],
)
def test_the_codec_refuses_what_as_json_never_writes(
    change: Callable[[dict[str, Any]], object], reason: str
) -> None:
    data = reminder_call().as_json()
    change(data)
    with pytest.raises(RecordError) as caught:
        record_from_json(data)
    assert str(caught.value) == f"call record 'call-0001' cannot be read: {reason}"


def test_a_call_in_flight_keeps_its_live_state_until_it_ends(store: SQLiteStore) -> None:
    record = reminder_call()
    store.save(record, {"step": "menu", "turn_token": "t1"})
    assert store.live(record.id) == (record, {"step": "menu", "turn_token": "t1"})
    assert [saved.id for saved, _ in store.in_flight()] == [record.id]
    store.save(record)
    assert store.live(record.id) is None
    assert store.in_flight() == []
    assert store.get(record.id) == record


def test_save_many_saves_each_pair_in_one_commit(store: SQLiteStore) -> None:
    live = {"step": "ask", "context": {"n": 2**70}}  # an integer over 64 bits still saves
    store.save_many([(reminder_call(), None), (hotline_call(), live)])
    assert store.get("call-0001") == reminder_call()
    saved = store.live(hotline_call().id)
    assert saved is not None
    assert saved[1] == live
    assert store.cursor() == 2


def test_save_many_saves_none_when_one_fails(store: SQLiteStore) -> None:
    broken = dataclasses.replace(hotline_call(), flow=None)  # type: ignore[arg-type]
    with pytest.raises(StoreAccessError, match=r"NOT NULL constraint failed: calls\.flow$"):
        store.save_many([(reminder_call(), None), (broken, None)])
    assert store.recent(10) == []
    store.save_many([(reminder_call(), None), (dial_in_call(), None)])  # the store is still usable
    assert len(store.recent(10)) == 2
