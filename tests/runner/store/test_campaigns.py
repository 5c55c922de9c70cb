"""Campaign state in the SQLite store, on real files: creating, dialing, retrying, resuming."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from runner.store import (
    SCHEMA_VERSION,
    STORE_FILENAME,
    Campaign,
    CampaignExistsError,
    CampaignNotFoundError,
    NewRecipient,
    RecipientState,
    SQLiteStore,
    open_store,
)
from tests.conftest import PROJECT
from tests.runner.store import T0, dial_in_call, reminder_call


def reminders(name: str = "reminders", *, created_at: float = T0) -> Campaign:
    return Campaign(
        name=name,
        flow="appointment-reminder",
        flow_path="examples/appointment-reminder.yaml",
        recipients_path="patients.csv",
        recipients_sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        options={"cps": 1, "concurrency": 4, "max_attempts": 3, "window": "09:00-20:00", "region": "US"},
        state="running",
        created_at=created_at,
        updated_at=created_at,
    )


def patients(count: int, *, first_line: int = 2) -> list[NewRecipient]:
    """``count`` valid rows, one a line from ``first_line`` (line 1 is the header)."""
    return [
        NewRecipient(line, f"+1555123{line:04}", {"name": f"Patient {line}", "phone": f"555123{line:04}"})
        for line in range(first_line, first_line + count)
    ]


def lines(recipients: list[RecipientState]) -> list[int]:
    return [recipient.line for recipient in recipients]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with open_store(tmp_path) as store:
        yield store


def raw(data_dir: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(data_dir / STORE_FILENAME, isolation_level=None))


# -- creating and reading ----------------------------------------------------------


def test_a_created_campaign_comes_back_equal_with_its_recipients_in_line_order(store: SQLiteStore) -> None:
    rows = [
        *patients(2),
        NewRecipient(4, "not a number", {"name": "Bob", "phone": "not a number"}, valid=False),
    ]
    store.create_campaign(reminders(), reversed(rows))
    assert store.campaign("reminders") == reminders()
    assert list(store.recipients("reminders")) == [
        RecipientState(
            "reminders", 2, "+15551230002", {"name": "Patient 2", "phone": "5551230002"}, "pending"
        ),
        RecipientState(
            "reminders", 3, "+15551230003", {"name": "Patient 3", "phone": "5551230003"}, "pending"
        ),
        RecipientState(
            "reminders",
            4,
            "not a number",
            {"name": "Bob", "phone": "not a number"},
            "invalid",
            outcome="invalid",
        ),
    ]


def test_an_unknown_campaign_is_none_and_has_no_recipients(store: SQLiteStore) -> None:
    assert store.campaign("nope") is None
    assert list(store.recipients("nope")) == []
    assert store.due_recipients("nope", now=T0, limit=10) == []


def test_a_campaign_name_is_taken_once_and_the_first_campaign_is_kept(
    store: SQLiteStore, tmp_path: Path
) -> None:
    store.create_campaign(reminders(), patients(3))
    with pytest.raises(CampaignExistsError) as caught:
        store.create_campaign(reminders(created_at=T0 + 60), patients(5))
    assert str(caught.value) == (
        f"{tmp_path / STORE_FILENAME} already holds a campaign named 'reminders'; choose another --name, "
        "or see it with 'callflow campaign status reminders'"
    )
    assert caught.value.name == "reminders"
    assert store.campaign("reminders") == reminders()
    assert lines(list(store.recipients("reminders"))) == [2, 3, 4]


def test_a_campaign_is_created_whole_or_not_at_all(store: SQLiteStore) -> None:
    with pytest.raises(ValueError, match="two recipients of 'reminders' share a line"):
        store.create_campaign(reminders(), [*patients(3), *patients(1)])
    assert store.campaign("reminders") is None
    assert list(store.recipients("reminders")) == []
    store.create_campaign(reminders(), patients(3))
    assert lines(list(store.recipients("reminders"))) == [2, 3, 4]


def test_campaigns_are_listed_oldest_first_with_their_counts(store: SQLiteStore) -> None:
    store.create_campaign(reminders("later", created_at=T0 + 60), patients(1))
    store.create_campaign(
        reminders("first"), [*patients(2), NewRecipient(4, "x", {"phone": "x"}, valid=False)]
    )
    store.mark_dialing("first", 2, "call-1", now=T0)
    store.record_outcome("first", 2, "call-1", "completed", answered_by="human", duration=17.5)
    summaries = store.campaigns()
    assert [summary.campaign.name for summary in summaries] == ["first", "later"]
    first = summaries[0].counts
    assert (first.total, first.by_status["pending"], first.by_status["done"], first.by_status["invalid"]) == (
        3,
        1,
        1,
        1,
    )
    assert (first.by_outcome["completed"], first.by_outcome["invalid"], first.by_outcome["busy"]) == (1, 1, 0)
    assert summaries[1].counts.by_status["pending"] == 1


# -- what to dial next -------------------------------------------------------------


def test_due_recipients_come_by_line_at_most_limit(store: SQLiteStore) -> None:
    store.create_campaign(reminders(), reversed(patients(10)))
    assert lines(store.due_recipients("reminders", now=T0, limit=4)) == [2, 3, 4, 5]
    assert store.due_recipients("reminders", now=T0, limit=0) == []
    with pytest.raises(ValueError, match="limit must be 0 or more"):
        store.due_recipients("reminders", now=T0, limit=-1)


def test_recipients_dialing_done_or_invalid_are_not_due(store: SQLiteStore) -> None:
    store.create_campaign(reminders(), [*patients(4), NewRecipient(6, "x", {}, valid=False)])
    assert store.mark_dialing("reminders", 2, "call-2", now=T0)
    assert store.mark_dialing("reminders", 3, "call-3", now=T0)
    assert store.record_outcome("reminders", 3, "call-3", "voicemail", answered_by="machine_end_beep")
    assert lines(store.due_recipients("reminders", now=T0, limit=10)) == [4, 5]


def test_a_retry_becomes_due_at_its_time_among_the_pending_by_line(store: SQLiteStore) -> None:
    store.create_campaign(reminders(), patients(4))
    store.mark_dialing("reminders", 3, "call-3a", now=T0)
    assert store.record_outcome("reminders", 3, "call-3a", "busy", retry_at=T0 + 120)
    assert lines(store.due_recipients("reminders", now=T0 + 119.9, limit=10)) == [2, 4, 5]
    assert lines(store.due_recipients("reminders", now=T0 + 120, limit=10)) == [2, 3, 4, 5]
    assert lines(store.due_recipients("reminders", now=T0 + 120, limit=2)) == [2, 3]
    assert not store.mark_dialing("reminders", 3, "too-soon", now=T0 + 60)
    assert store.mark_dialing("reminders", 3, "call-3b", now=T0 + 120)
    (again,) = [recipient for recipient in store.recipients("reminders") if recipient.line == 3]
    assert (again.status, again.attempts, again.call_ids, again.next_attempt_at, again.outcome) == (
        "dialing",
        2,
        ["call-3a", "call-3b"],
        None,
        "busy",
    )


def test_the_counts_say_when_the_next_retry_is_due(store: SQLiteStore) -> None:
    store.create_campaign(reminders(), patients(3))
    assert store.campaign_counts("reminders").next_attempt_at is None
    for line, retry_at in ((2, T0 + 300), (3, T0 + 90)):
        store.mark_dialing("reminders", line, f"call-{line}", now=T0)
        store.record_outcome("reminders", line, f"call-{line}", "no-answer", retry_at=retry_at)
    counts = store.campaign_counts("reminders")
    assert (counts.next_attempt_at, counts.by_status["retry-wait"], counts.by_outcome["no-answer"]) == (
        T0 + 90,
        2,
        0,
    )
    with pytest.raises(CampaignNotFoundError, match="holds no campaign named 'nope'"):
        store.campaign_counts("nope")


def test_finding_the_next_recipients_reads_no_more_of_a_large_campaign(
    store: SQLiteStore, tmp_path: Path
) -> None:
    store.create_campaign(reminders("small"), patients(20))
    store.create_campaign(reminders("large"), patients(20_000))
    store.create_campaign(reminders("waiting"), patients(20_000))
    store.create_campaign(reminders("quiet"), patients(20_000))
    # Under the hood, as a long run leaves them: the large campaign done but for its last
    # rows, the waiting one all in retries not yet due but for its last rows, the quiet one
    # all waiting for their calling window but for its last rows.
    with raw(tmp_path) as db:
        db.execute(
            "UPDATE campaign_recipients SET status = 'done', outcome = 'completed' "
            "WHERE campaign = 'large' AND line < 19982"
        )
        db.execute(
            "UPDATE campaign_recipients SET status = 'retry-wait', next_attempt_at = ? "
            "WHERE campaign = 'waiting' AND line < 19982",
            (T0 + 3600,),
        )
        db.execute(
            "UPDATE campaign_recipients SET status = 'waiting', next_attempt_at = ? "
            "WHERE campaign = 'quiet' AND line < 19982",
            (T0 + 3600,),
        )

    def steps(name: str) -> int:
        # The virtual machine's instruction count is the measure of work that no machine's
        # speed changes; the handler is called every 100 instructions.
        counted = [0]

        def count() -> int:
            counted[0] += 1
            return 0

        def work() -> None:
            assert len(store.due_recipients(name, now=T0, limit=20)) == 20
            store.campaign_counts(name)
            store.dialing_recipients(name)

        # Once to warm up: the first run of a statement after the schema changed (the
        # other connection's updates) prepares it again, which the handler counts too.
        work()
        store._db.set_progress_handler(count, 100)
        try:
            work()
        finally:
            store._db.set_progress_handler(None, 0)
        return counted[0]

    small = steps("small")
    assert steps("large") <= small + 1
    assert steps("waiting") <= small + 1
    assert steps("quiet") <= small + 1
    assert store.campaign_counts("large").by_outcome["completed"] == 19_980
    assert store.campaign_counts("waiting").by_status["retry-wait"] == 19_980
    assert lines(store.due_recipients("waiting", now=T0, limit=3)) == [19_982, 19_983, 19_984]


# -- dialing and outcomes ----------------------------------------------------------


def test_a_recipient_is_claimed_once(store: SQLiteStore) -> None:
    store.create_campaign(reminders(), patients(1))
    assert store.mark_dialing("reminders", 2, "call-1", now=T0)
    assert not store.mark_dialing("reminders", 2, "call-2", now=T0)
    assert not store.mark_dialing("reminders", 99, "call-3", now=T0)
    assert [recipient.call_ids for recipient in store.dialing_recipients("reminders")] == [["call-1"]]


def test_a_cancelled_campaign_dials_no_one_and_keeps_its_recipients(store: SQLiteStore) -> None:
    store.create_campaign(reminders(), patients(2))
    store.mark_dialing("reminders", 2, "call-2", now=T0)
    store.set_campaign_state("reminders", "cancelled", now=T0 + 5)
    campaign = store.campaign("reminders")
    assert campaign == dataclasses.replace(reminders(), state="cancelled", updated_at=T0 + 5)
    assert not store.mark_dialing("reminders", 3, "call-3", now=T0 + 6)
    # A call in flight finishes and is recorded.
    assert store.record_outcome("reminders", 2, "call-2", "completed")
    assert [recipient.status for recipient in store.recipients("reminders")] == ["done", "pending"]
    with pytest.raises(CampaignNotFoundError):
        store.set_campaign_state("nope", "cancelled", now=T0)


def test_a_claim_whose_call_was_never_placed_is_given_back(store: SQLiteStore) -> None:
    store.create_campaign(reminders(), patients(2))
    store.mark_dialing("reminders", 2, "call-a", now=T0)
    assert not store.release_claim("reminders", 2, "call-other", now=T0 + 1)
    assert store.release_claim("reminders", 2, "call-a", now=T0 + 1)
    assert not store.release_claim("reminders", 2, "call-a", now=T0 + 1)
    # A first claim given back: pending again, no attempt counted.
    assert [
        (r.line, r.status, r.attempts, r.call_ids) for r in store.due_recipients("reminders", now=T0, limit=5)
    ] == [
        (2, "pending", 0, []),
        (3, "pending", 0, []),
    ]
    # A retry's claim given back: the retry is due at once, the earlier attempt kept.
    store.mark_dialing("reminders", 2, "call-b", now=T0 + 2)
    store.record_outcome("reminders", 2, "call-b", "busy", retry_at=T0 + 60)
    store.mark_dialing("reminders", 2, "call-c", now=T0 + 60)
    assert store.release_claim("reminders", 2, "call-c", now=T0 + 61)
    (retry,) = [r for r in store.due_recipients("reminders", now=T0 + 61, limit=5) if r.line == 2]
    assert (retry.status, retry.attempts, retry.call_ids, retry.next_attempt_at) == (
        "retry-wait",
        1,
        ["call-b"],
        T0 + 61,
    )


def test_an_outcome_is_recorded_for_the_latest_call_only(store: SQLiteStore) -> None:
    store.create_campaign(reminders(), patients(1))
    store.mark_dialing("reminders", 2, "call-a", now=T0)
    store.record_outcome("reminders", 2, "call-a", "failed", retry_at=T0 + 60)
    store.mark_dialing("reminders", 2, "call-b", now=T0 + 60)
    assert not store.record_outcome("reminders", 2, "call-a", "completed")
    assert store.record_outcome("reminders", 2, "call-b", "completed", answered_by="human", duration=12.0)
    assert not store.record_outcome("reminders", 2, "call-b", "busy", retry_at=T0 + 200)
    (recipient,) = store.recipients("reminders")
    assert recipient == RecipientState(
        "reminders",
        2,
        "+15551230002",
        {"name": "Patient 2", "phone": "5551230002"},
        "done",
        attempts=2,
        outcome="completed",
        call_ids=["call-a", "call-b"],
        answered_by="human",
        duration=12.0,
    )
    with pytest.raises(ValueError, match="unknown outcome 'hung-up'"):
        store.record_outcome("reminders", 2, "call-b", "hung-up")  # type: ignore[arg-type]


# -- surviving the process ---------------------------------------------------------


def test_the_dialing_mark_survives_closing_and_reopening(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        store.create_campaign(reminders(), patients(3))
        store.mark_dialing("reminders", 3, "call-3", now=T0)
    with open_store(tmp_path) as store:
        (left,) = store.dialing_recipients("reminders")
        assert (left.line, left.attempts, left.call_ids) == (3, 1, ["call-3"])
        assert lines(store.due_recipients("reminders", now=T0, limit=10)) == [2, 4]


def test_the_dialing_mark_survives_the_process_killed_right_after_it(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        store.create_campaign(reminders(), patients(3))
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from runner.store import open_store

        store = open_store(Path({str(tmp_path)!r}))
        assert store.mark_dialing("reminders", 2, "call-2", now={T0!r})
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    environment = {**os.environ, "PYTHONPATH": str(PROJECT)}
    process = subprocess.run([sys.executable, "-c", script], env=environment, check=False)
    assert process.returncode == -signal.SIGKILL
    assert (tmp_path / f"{STORE_FILENAME}-wal").exists(), "the kill should leave the WAL unmerged"
    with open_store(tmp_path) as store:
        assert [(left.line, left.call_ids) for left in store.dialing_recipients("reminders")] == [
            (2, ["call-2"])
        ]


# -- the file ----------------------------------------------------------------------


def test_a_version_2_file_gains_the_campaign_tables_and_keeps_its_calls(tmp_path: Path) -> None:
    call = dial_in_call()
    with raw(tmp_path) as db:
        for statement in _VERSION_2:
            db.execute(statement)
        db.execute(
            "INSERT INTO calls (id, flow, created_at, record, carrier_call_id) VALUES (?, ?, ?, ?, ?)",
            (call.id, call.flow, call.created_at, json.dumps(call.as_json()), "CA-3"),
        )
    with open_store(tmp_path) as store:
        assert store.get(call.id) == call
        assert store.by_carrier_id("CA-3") == call
        store.create_campaign(reminders(), patients(2))
        store.save(reminder_call())
        assert lines(store.due_recipients("reminders", now=T0, limit=5)) == [2, 3]
    with raw(tmp_path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,) == (4,)
    with open_store(tmp_path) as store:
        assert [record.id for record in store.all()] == ["call-0001", "call-0003"]


def test_the_campaign_indexes_are_the_ones_the_dispatcher_queries_by(
    store: SQLiteStore, tmp_path: Path
) -> None:
    with raw(tmp_path) as db:
        rows = db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'campaign_recipients' "
            "AND sql IS NOT NULL ORDER BY name"
        ).fetchall()
    assert [name for name, _ in rows] == [
        "campaign_recipients_dialing",
        "campaign_recipients_pending",
        "campaign_recipients_retry",
        "campaign_recipients_waiting",
    ]


# The tables as callflow wrote them at schema version 2.
_VERSION_2 = (
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
    "CREATE INDEX calls_in_flight ON calls (seq) WHERE live IS NOT NULL",
    "CREATE INDEX calls_by_created_at ON calls (created_at)",
    "CREATE INDEX calls_by_carrier_id ON calls (carrier_call_id) WHERE carrier_call_id IS NOT NULL",
    "PRAGMA application_id = 1128680535",
    "PRAGMA user_version = 2",
)
