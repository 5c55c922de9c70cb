"""The ``CampaignStore`` half of the SQLite store: three tables beside ``calls``.

Every query a dispatcher runs while dialing reads an index range of the rows it wants,
never the whole campaign, so its cost does not grow with the campaign's size.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import orjson

from runner.store._campaign_types import (
    OUTCOMES,
    RECIPIENT_STATUSES,
    Campaign,
    CampaignCounts,
    CampaignState,
    CampaignSummary,
    NewRecipient,
    Outcome,
    RecipientState,
    RecipientStatus,
)
from runner.store._errors import CampaignExistsError, CampaignNotFoundError

_CAMPAIGN_COLUMNS = (
    "name, flow, flow_path, recipients_path, recipients_sha256, options, state, created_at, updated_at"
)
_RECIPIENT_COLUMNS = (
    "campaign, line, number, row_values, status, attempts, outcome, next_attempt_at, call_ids, "
    "answered_by, duration, time_zone"
)

# Each half is limited before the merge, so neither reads more than it may return.
# INDEXED BY because, without statistics, SQLite prefers the primary key (it yields the
# line order) and reads the whole campaign; INDEXED BY fails loudly rather than scan. The
# status values are literals: a partial index serves only a WHERE that visibly implies its own.
_DUE = f"""
SELECT * FROM (
    SELECT {_RECIPIENT_COLUMNS} FROM campaign_recipients INDEXED BY campaign_recipients_pending
    WHERE campaign = :name AND status = 'pending' ORDER BY line LIMIT :limit
)
UNION ALL
SELECT * FROM (
    SELECT {_RECIPIENT_COLUMNS} FROM campaign_recipients INDEXED BY campaign_recipients_retry
    WHERE campaign = :name AND status = 'retry-wait' AND next_attempt_at <= :now ORDER BY line LIMIT :limit
)
UNION ALL
SELECT * FROM (
    SELECT {_RECIPIENT_COLUMNS} FROM campaign_recipients INDEXED BY campaign_recipients_waiting
    WHERE campaign = :name AND status = 'waiting' AND next_attempt_at <= :now ORDER BY line LIMIT :limit
)
ORDER BY line LIMIT :limit
"""

_MARK_DIALING = """
UPDATE campaign_recipients
SET status = 'dialing', attempts = attempts + 1, next_attempt_at = NULL,
    call_ids = json_insert(call_ids, '$[#]', :call_id)
WHERE campaign = :name AND line = :line
    AND (status = 'pending' OR (status IN ('retry-wait', 'waiting') AND next_attempt_at <= :now))
    AND (SELECT state FROM campaigns WHERE name = :name) = 'running'
"""

# Each half is the first row of its index's range; the outer min() skips a NULL half
# (min(a, b) of two values would be NULL if either were).
_NEXT_ATTEMPT = """
SELECT min(due) FROM (
    SELECT min(next_attempt_at) AS due FROM campaign_recipients INDEXED BY campaign_recipients_retry
    WHERE campaign = :name AND status = 'retry-wait'
    UNION ALL
    SELECT min(next_attempt_at) FROM campaign_recipients INDEXED BY campaign_recipients_waiting
    WHERE campaign = :name AND status = 'waiting'
)
"""

# Attempts and the last outcome are kept: waiting for the window is no attempt.
_DEFER = """
UPDATE campaign_recipients SET status = 'waiting', next_attempt_at = :until
WHERE campaign = :name AND line = :line AND status IN ('pending', 'retry-wait', 'waiting')
"""

_RECORD_OUTCOME = """
UPDATE campaign_recipients
SET status = CASE WHEN :retry_at IS NULL THEN 'done' ELSE 'retry-wait' END,
    outcome = :outcome, next_attempt_at = :retry_at, answered_by = :answered_by, duration = :duration
WHERE campaign = :name AND line = :line AND status = 'dialing'
    AND json_extract(call_ids, '$[#-1]') = :call_id
"""

# Undoes a mark_dialing whose call was never placed: the attempt and its call id go, and
# the recipient is due again at once (pending before a first call, else a retry due now).
_RELEASE_CLAIM = """
UPDATE campaign_recipients
SET attempts = attempts - 1, call_ids = json_remove(call_ids, '$[#-1]'),
    status = CASE WHEN attempts - 1 = 0 THEN 'pending' ELSE 'retry-wait' END,
    next_attempt_at = CASE WHEN attempts - 1 = 0 THEN NULL ELSE :now END
WHERE campaign = :name AND line = :line AND status = 'dialing'
    AND json_extract(call_ids, '$[#-1]') = :call_id
"""


class SQLiteCampaigns:
    """The campaign operations of ``SQLiteStore``, which supplies the connection."""

    path: Path
    _db: sqlite3.Connection

    if TYPE_CHECKING:

        def _translated(self) -> AbstractContextManager[None]: ...

    def create_campaign(self, campaign: Campaign, recipients: Iterable[NewRecipient]) -> None:
        with self._translated(), self._transaction():
            if self._db.execute("SELECT 1 FROM campaigns WHERE name = ?", (campaign.name,)).fetchone():
                raise CampaignExistsError(self.path, campaign.name)
            self._db.execute(
                f"INSERT INTO campaigns ({_CAMPAIGN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    campaign.name,
                    campaign.flow,
                    campaign.flow_path,
                    campaign.recipients_path,
                    campaign.recipients_sha256,
                    _json(campaign.options),
                    campaign.state,
                    campaign.created_at,
                    campaign.updated_at,
                ),
            )
            counts = {"pending": 0, "invalid": 0}

            def rows() -> Iterator[tuple[Any, ...]]:
                for recipient in recipients:
                    counts["pending" if recipient.valid else "invalid"] += 1
                    yield _new_row(campaign.name, recipient)

            try:
                self._db.executemany(
                    f"INSERT INTO campaign_recipients ({_RECIPIENT_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, 0, ?, NULL, '[]', NULL, NULL, ?)",
                    rows(),
                )
            except sqlite3.IntegrityError as error:
                raise ValueError(f"two recipients of '{campaign.name}' share a line: {error}") from None
            self._db.executemany(
                "INSERT INTO campaign_counts VALUES (?, ?, ?, ?)",
                [
                    (campaign.name, "pending", "", counts["pending"]),
                    (campaign.name, "invalid", "invalid", counts["invalid"]),
                ],
            )

    def campaign(self, name: str) -> Campaign | None:
        with self._translated():
            row = self._db.execute(
                f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE name = ?", (name,)
            ).fetchone()
        return None if row is None else _campaign(row)

    def campaigns(self) -> list[CampaignSummary]:
        with self._translated():
            rows = self._db.execute(
                f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns ORDER BY created_at, name"
            ).fetchall()
            return [CampaignSummary(_campaign(row), self._counts(row[0])) for row in rows]

    def campaign_counts(self, name: str) -> CampaignCounts:
        with self._translated():
            if self._db.execute("SELECT 1 FROM campaigns WHERE name = ?", (name,)).fetchone() is None:
                raise CampaignNotFoundError(self.path, name)
            return self._counts(name)

    def due_recipients(self, name: str, *, now: float, limit: int) -> list[RecipientState]:
        if limit < 0:
            raise ValueError(f"limit must be 0 or more, not {limit}")
        with self._translated():
            rows = self._db.execute(_DUE, {"name": name, "now": now, "limit": limit}).fetchall()
        return [_recipient(row) for row in rows]

    def mark_dialing(self, name: str, line: int, call_id: str, *, now: float) -> bool:
        # One UPDATE in autocommit: it is its own transaction, checked and written at once.
        with self._translated():
            changed = self._db.execute(
                _MARK_DIALING, {"name": name, "line": line, "call_id": call_id, "now": now}
            ).rowcount
        return changed == 1

    def record_outcome(
        self,
        name: str,
        line: int,
        call_id: str,
        outcome: Outcome,
        *,
        retry_at: float | None = None,
        answered_by: str | None = None,
        duration: float | None = None,
    ) -> bool:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
        parameters = {
            "name": name,
            "line": line,
            "call_id": call_id,
            "outcome": outcome,
            "retry_at": retry_at,
            "answered_by": answered_by,
            "duration": duration,
        }
        with self._translated():
            changed = self._db.execute(_RECORD_OUTCOME, parameters).rowcount
        return changed == 1

    def defer(self, name: str, line: int, *, until: float) -> bool:
        with self._translated():
            changed = self._db.execute(_DEFER, {"name": name, "line": line, "until": until}).rowcount
        return changed == 1

    def release_claim(self, name: str, line: int, call_id: str, *, now: float) -> bool:
        with self._translated():
            changed = self._db.execute(
                _RELEASE_CLAIM, {"name": name, "line": line, "call_id": call_id, "now": now}
            ).rowcount
        return changed == 1

    def dialing_recipients(self, name: str) -> list[RecipientState]:
        with self._translated():
            rows = self._db.execute(
                f"SELECT {_RECIPIENT_COLUMNS} FROM campaign_recipients "
                "INDEXED BY campaign_recipients_dialing "
                "WHERE campaign = ? AND status = 'dialing' ORDER BY line",
                (name,),
            ).fetchall()
        return [_recipient(row) for row in rows]

    def set_campaign_state(self, name: str, state: CampaignState, *, now: float) -> None:
        with self._translated():
            changed = self._db.execute(
                "UPDATE campaigns SET state = ?, updated_at = ? WHERE name = ?", (state, now, name)
            ).rowcount
        if changed != 1:
            raise CampaignNotFoundError(self.path, name)

    def recipients(self, name: str) -> Iterator[RecipientState]:
        with self._translated():
            rows = self._db.execute(
                f"SELECT {_RECIPIENT_COLUMNS} FROM campaign_recipients WHERE campaign = ? ORDER BY line",
                (name,),
            )
            try:
                for row in rows:
                    yield _recipient(row)
            finally:
                rows.close()

    def _counts(self, name: str) -> CampaignCounts:
        by_status = dict.fromkeys(RECIPIENT_STATUSES, 0)
        by_outcome = dict.fromkeys(OUTCOMES, 0)
        groups = self._db.execute(
            "SELECT status, outcome, recipients FROM campaign_counts WHERE campaign = ?", (name,)
        )
        for status, outcome, count in groups:
            by_status[status] += count
            if status in ("done", "invalid") and outcome:
                by_outcome[outcome] += count
        (next_attempt_at,) = self._db.execute(_NEXT_ATTEMPT, {"name": name}).fetchone()
        return CampaignCounts(by_status, by_outcome, next_attempt_at)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock first, so the existence check and the inserts see
        # the same file even when two processes create campaigns at once.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise


def _new_row(campaign: str, recipient: NewRecipient) -> tuple[Any, ...]:
    status: RecipientStatus = "pending" if recipient.valid else "invalid"
    outcome: Outcome | None = None if recipient.valid else "invalid"
    values = _json(recipient.values)
    return (campaign, recipient.line, recipient.number, values, status, outcome, recipient.time_zone)


def _json(mapping: Mapping[str, Any]) -> str:
    # orjson: creating a campaign writes every row's values, ten times faster than json.
    return orjson.dumps(dict(mapping)).decode()


def _campaign(row: tuple[Any, ...]) -> Campaign:
    name, flow, flow_path, recipients_path, sha256, options, state, created_at, updated_at = row
    return Campaign(
        name=name,
        flow=flow,
        flow_path=flow_path,
        recipients_path=recipients_path,
        recipients_sha256=sha256,
        options=cast(Mapping[str, Any], orjson.loads(options)),
        state=state,
        created_at=created_at,
        updated_at=updated_at,
    )


def _recipient(row: tuple[Any, ...]) -> RecipientState:
    campaign, line, number, values, status, attempts, outcome, next_attempt_at, call_ids, *last = row
    answered_by, duration, time_zone = last
    return RecipientState(
        campaign=campaign,
        line=line,
        number=number,
        values=orjson.loads(values),
        status=status,
        attempts=attempts,
        outcome=outcome,
        next_attempt_at=next_attempt_at,
        call_ids=orjson.loads(call_ids),
        answered_by=answered_by,
        duration=duration,
        time_zone=time_zone,
    )
