"""From a flow and a recipients file to a campaign in the store, ready to dial.

``plan_campaign`` reads and checks the file (``CampaignBlocked`` when rows are invalid
and not skipped); ``create_or_resume`` writes a new campaign with every row, or checks
that the campaign of that name may be resumed with this file and flow. The CLI and the
control API both launch campaigns through these two, so both refuse the same things
with the same words.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from flows import Flow
from runner.campaigns._check import CampaignCheck, CampaignProblem, check_recipients
from runner.campaigns._csv import read_recipients
from runner.campaigns._preview import DryRun
from runner.campaigns._run import RunOptions
from runner.campaigns._script import NotifyScript
from runner.campaigns._state import recipients_sha256
from runner.simulate import SPEECH_CHARS_PER_SECOND
from runner.store import Campaign, CampaignExistsError, CampaignStore, NewRecipient

#: How much of a SHA-256 a message shows: enough to tell two files apart.
SHORT_HASH = 12

Launched = Literal["created", "resumed", "done"]
#: A campaign's name: it names files and URLs, so plain characters only.
CAMPAIGN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class CampaignBlocked(Exception):
    """Rows are invalid and not skipped (or no row is left): no call is placed."""

    def __init__(self, check: CampaignCheck, dry_run: DryRun) -> None:
        invalid = len(check.invalid_lines)
        rows = "row" if invalid == 1 else "rows"
        super().__init__(f"{check.file}: {invalid} invalid {rows}: no call is placed")
        self.check = check
        self.dry_run = dry_run

    @property
    def problems(self) -> list[CampaignProblem]:
        return self.check.problems


ConflictReason = Literal["file-changed", "other-flow", "cancelled", "done", "dialing"]


class CampaignConflict(Exception):
    """What was asked of the campaign of that name cannot be done: resumed with another
    file or flow, dialled again once cancelled, cancelled once done, launched twice."""

    def __init__(self, reason: ConflictReason, message: str) -> None:
        super().__init__(message)
        self.reason: ConflictReason = reason


class BadCampaignName(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"a campaign's name takes letters, digits, '.', '_' and '-' (up to 100, a letter or digit "
            f"first), not '{name}': name the campaign (--name)"
        )


@dataclass(frozen=True)
class CampaignPlan:
    """What a campaign dials: its name, its flow, its checked rows, its file's hash."""

    name: str
    flow: Flow
    recipients_path: Path
    recipients_sha256: str
    check: CampaignCheck
    #: The rows the check refused, by line, as the file has them (kept as ``invalid``).
    invalid_rows: dict[int, dict[str, str]]
    options: RunOptions
    #: Shown with the campaign: the country of national numbers, the quiet hours.
    region: str | None = None


def plan_campaign(
    flow: Flow,
    recipients_path: Path,
    *,
    name: str | None,
    provider: str,
    region: str | None,
    skip_invalid: bool,
    options: RunOptions,
) -> CampaignPlan:
    """Read and check every row; the plan, or CampaignBlocked when it may not be dialled.

    Raises BadCampaignName, NotCampaignFlowError (not a notify flow) and
    RecipientsFileError (unreadable).
    """
    name = name or recipients_path.stem
    if not CAMPAIGN_NAME.fullmatch(name):
        raise BadCampaignName(name)
    script = NotifyScript(flow, provider)
    # The hash first: the rows checked are then at least as new as the hash kept.
    sha256 = recipients_sha256(recipients_path)
    table = read_recipients(recipients_path)
    check = check_recipients(table, script, region=region)
    dry_run = DryRun(check, skip_invalid, float(options.cps or 1), SPEECH_CHARS_PER_SECOND)
    if check.errors and (dry_run.blocked or dry_run.calls == 0):
        raise CampaignBlocked(check, dry_run)
    invalid = set(check.invalid_lines)
    return CampaignPlan(
        name=name,
        flow=flow,
        recipients_path=recipients_path,
        recipients_sha256=sha256,
        check=check,
        invalid_rows={
            row.line: dict(zip(table.header, row.cells, strict=False))
            for row in table.rows
            if row.line in invalid
        },
        options=options,
        region=region,
    )


def create_or_resume(store: CampaignStore, plan: CampaignPlan, *, now: float | None = None) -> Launched:
    """Create the campaign with every row, or check the one of this name may be resumed:
    ``created``, ``resumed``, or ``done`` (nothing left to dial). CampaignConflict when
    the file or the flow changed since, or the campaign was cancelled."""
    existing = store.campaign(plan.name)
    if existing is None:
        now = time.time() if now is None else now
        try:
            store.create_campaign(
                Campaign(
                    name=plan.name,
                    flow=plan.flow.name,
                    flow_path=str(plan.flow.file),
                    recipients_path=str(plan.recipients_path),
                    recipients_sha256=plan.recipients_sha256,
                    options=_options_json(plan),
                    state="running",
                    created_at=now,
                    updated_at=now,
                ),
                _new_recipients(plan),
            )
        except CampaignExistsError:
            # Another launch, maybe in another process, created it since we looked.
            raise CampaignConflict(
                "dialing", f"campaign {plan.name} was created by another launch at the same moment"
            ) from None
        return "created"
    if existing.recipients_sha256 != plan.recipients_sha256:
        raise CampaignConflict(
            "file-changed",
            f"recipients file changed since campaign {plan.name} started: {plan.recipients_path} is "
            f"sha256 {plan.recipients_sha256[:SHORT_HASH]}, {existing.recipients_path} was "
            f"{existing.recipients_sha256[:SHORT_HASH]}; start a new campaign under another name (--name)",
        )
    if existing.flow != plan.flow.name:
        raise CampaignConflict(
            "other-flow",
            f"campaign {plan.name} calls flow '{existing.flow}', not '{plan.flow.name}'; "
            "start a new campaign under another name (--name)",
        )
    if existing.state == "cancelled":
        raise CampaignConflict("cancelled", f"campaign {plan.name} was cancelled: it is not dialled again")
    return "done" if existing.state == "done" else "resumed"


def _options_json(plan: CampaignPlan) -> dict[str, object]:
    options = plan.options
    return {
        "cps": options.cps,
        "concurrency": options.concurrency,
        "max_attempts": options.max_attempts,
        "retry_delay": options.retry_base_delay,
        "region": plan.region,
        "window": None if options.quiet_hours is None else str(options.quiet_hours.window),
        "timezone": None if options.quiet_hours is None else str(options.quiet_hours.default_zone),
    }


def _new_recipients(plan: CampaignPlan) -> list[NewRecipient]:
    recipients = [
        NewRecipient(
            recipient.line,
            recipient.number,
            {k: str(v) for k, v in recipient.values.items()},
            time_zone=recipient.time_zone,
        )
        for recipient in plan.check.recipients
    ]
    recipients += [NewRecipient(line, "", values, valid=False) for line, values in plan.invalid_rows.items()]
    return sorted(recipients, key=lambda recipient: recipient.line)
