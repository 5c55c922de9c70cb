"""The campaign tables of the SQLite store, as created at each schema version.

A fresh file runs every step; a file of an older version runs the steps it lacks.
"""

from __future__ import annotations

# Statements, not one script: the schema and the migration run them inside their transaction.
CAMPAIGN_SCHEMA = (
    # options is Campaign.options as JSON.
    """
    CREATE TABLE campaigns (
        name TEXT PRIMARY KEY,
        flow TEXT NOT NULL,
        flow_path TEXT NOT NULL,
        recipients_path TEXT NOT NULL,
        recipients_sha256 TEXT NOT NULL,
        options TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    )
    """,
    # WITHOUT ROWID: the rows are stored in (campaign, line) order, so a report streams a
    # campaign in file order by walking the table itself, and every index below carries
    # (campaign, line) to reach its row. row_values and call_ids are JSON.
    """
    CREATE TABLE campaign_recipients (
        campaign TEXT NOT NULL REFERENCES campaigns (name),
        line INTEGER NOT NULL,
        number TEXT NOT NULL,
        row_values TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        outcome TEXT,
        next_attempt_at REAL,
        call_ids TEXT NOT NULL,
        answered_by TEXT,
        duration REAL,
        PRIMARY KEY (campaign, line)
    ) WITHOUT ROWID
    """,
    # Partial indexes hold only the rows still to dial, so finding the next ones skips the
    # thousands already done. Pending rows are wanted by line: the first N are the head
    # of this index.
    "CREATE INDEX campaign_recipients_pending ON campaign_recipients (campaign, line) "
    "WHERE status = 'pending'",
    # Retries are wanted once their time has come: the due ones are a range of this index.
    "CREATE INDEX campaign_recipients_retry ON campaign_recipients (campaign, next_attempt_at) "
    "WHERE status = 'retry-wait'",
    # The few rows left at 'dialing' after a crash, found without reading the others.
    "CREATE INDEX campaign_recipients_dialing ON campaign_recipients (campaign, line) "
    "WHERE status = 'dialing'",
    # How many recipients stand at each (status, outcome), so `campaign status` reads a
    # dozen rows whatever the campaign's size. create_campaign() writes the first counts;
    # the trigger below moves them in the transaction of every change after that (a
    # trigger on insert too would cost a third of the time of creating a campaign).
    # outcome is '' for none: NULLs never match in a primary key.
    """
    CREATE TABLE campaign_counts (
        campaign TEXT NOT NULL,
        status TEXT NOT NULL,
        outcome TEXT NOT NULL,
        recipients INTEGER NOT NULL,
        PRIMARY KEY (campaign, status, outcome)
    ) WITHOUT ROWID
    """,
    """
    CREATE TRIGGER campaign_counts_on_update AFTER UPDATE OF status, outcome ON campaign_recipients
    BEGIN
        UPDATE campaign_counts SET recipients = recipients - 1
        WHERE campaign = OLD.campaign AND status = OLD.status AND outcome = coalesce(OLD.outcome, '');
        INSERT INTO campaign_counts VALUES (NEW.campaign, NEW.status, coalesce(NEW.outcome, ''), 1)
        ON CONFLICT (campaign, status, outcome) DO UPDATE SET recipients = recipients + 1;
    END
    """,
)

# Version 4: quiet hours. A recipient outside its calling window waits at 'waiting' until
# next_attempt_at, its attempts untouched; time_zone is the recipients file's timezone
# cell (NULL: the zone comes from the number, else the campaign's default).
CAMPAIGN_SCHEMA_4 = (
    "ALTER TABLE campaign_recipients ADD COLUMN time_zone TEXT",
    # The waiting ones are wanted once their window opens: the due ones are a range.
    "CREATE INDEX campaign_recipients_waiting ON campaign_recipients (campaign, next_attempt_at) "
    "WHERE status = 'waiting'",
)
