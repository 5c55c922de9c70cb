"""Quiet hours in the SQLite store: a recipient due outside its calling window waits,
its attempts untouched, until the window opens; and a version 3 file gains what that needs."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from runner.store import STORE_FILENAME, NewRecipient, SQLiteStore, open_store
from tests.runner.store import T0
from tests.runner.store.test_campaigns import lines, patients, reminders


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with open_store(tmp_path) as store:
        yield store


def recipient(store: SQLiteStore, line: int) -> tuple[object, ...]:
    (found,) = [r for r in store.recipients("reminders") if r.line == line]
    return (found.status, found.attempts, found.outcome, found.next_attempt_at)


def test_a_deferred_recipient_waits_until_its_window_opens(store: SQLiteStore) -> None:
    store.create_campaign(reminders(), patients(3))
    assert store.defer("reminders", 3, until=T0 + 600)
    assert recipient(store, 3) == ("waiting", 0, None, T0 + 600)
    assert lines(store.due_recipients("reminders", now=T0, limit=10)) == [2, 4]
    assert not store.mark_dialing("reminders", 3, "too-soon", now=T0 + 599)
    counts = store.campaign_counts("reminders")
    assert (counts.by_status["waiting"], counts.by_status["pending"], counts.next_attempt_at) == (
        1,
        2,
        T0 + 600,
    )
    assert lines(store.due_recipients("reminders", now=T0 + 600, limit=10)) == [2, 3, 4]
    assert store.mark_dialing("reminders", 3, "call-3", now=T0 + 600)
    assert recipient(store, 3) == ("dialing", 1, None, None)


def test_a_retry_deferred_keeps_its_attempts_and_last_outcome(store: SQLiteStore) -> None:
    store.create_campaign(reminders(), patients(2))
    store.mark_dialing("reminders", 2, "call-2a", now=T0)
    store.record_outcome("reminders", 2, "call-2a", "busy", retry_at=T0 + 60)
    assert store.defer("reminders", 2, until=T0 + 7200)
    assert recipient(store, 2) == ("waiting", 1, "busy", T0 + 7200)
    # The earliest of a retry and a wait is the next attempt.
    store.mark_dialing("reminders", 3, "call-3a", now=T0)
    store.record_outcome("reminders", 3, "call-3a", "no-answer", retry_at=T0 + 90)
    assert store.campaign_counts("reminders").next_attempt_at == T0 + 90


def test_only_a_recipient_still_to_dial_is_deferred(store: SQLiteStore) -> None:
    store.create_campaign(reminders(), [*patients(2), NewRecipient(4, "x", {}, valid=False)])
    store.mark_dialing("reminders", 2, "call-2", now=T0)
    assert not store.defer("reminders", 2, until=T0 + 60)
    assert not store.defer("reminders", 4, until=T0 + 60)
    assert not store.defer("reminders", 99, until=T0 + 60)
    assert recipient(store, 2) == ("dialing", 1, None, None)


def test_a_recipients_time_zone_is_kept(store: SQLiteStore) -> None:
    store.create_campaign(
        reminders(), [NewRecipient(2, "+81312345678", {"name": "Aki"}, time_zone="Asia/Tokyo")]
    )
    (only,) = store.recipients("reminders")
    assert only.time_zone == "Asia/Tokyo"


def test_a_version_3_file_gains_the_waiting_index_and_keeps_its_campaigns(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        store.create_campaign(reminders(), patients(2))
    # Back to version 3 as callflow wrote it: no time_zone column, no waiting index.
    with closing(sqlite3.connect(tmp_path / STORE_FILENAME, isolation_level=None)) as db:
        db.execute("DROP INDEX campaign_recipients_waiting")
        db.execute("ALTER TABLE campaign_recipients DROP COLUMN time_zone")
        db.execute("PRAGMA user_version = 3")
    with open_store(tmp_path) as store:
        assert [r.time_zone for r in store.recipients("reminders")] == [None, None]
        assert store.defer("reminders", 2, until=T0 + 60)
        assert lines(store.due_recipients("reminders", now=T0 + 60, limit=5)) == [2, 3]
    with closing(sqlite3.connect(tmp_path / STORE_FILENAME)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (4,)
