"""Notify campaigns: one flow, a CSV file of recipients, every row checked before any call.

``read_recipients`` reads the file, ``NotifyScript`` takes from the flow what its calls
say, ``check_recipients`` checks each row against the flow's inputs and the carrier's
limits, and ``DryRun`` sums up what a campaign would do. A campaign's durable state
(``Campaign``, one ``RecipientState`` a row) is kept by ``runner.store``'s
``CampaignStore``; ``recipients_sha256`` fingerprints the recipients file.
``CampaignRun`` dials the recipients a ``Dispatcher`` (``StoreDispatcher``: the store's)
hands out, paced, retried (``RetryPolicy``), and resumed after a crash.
``plan_campaign`` and ``create_or_resume`` launch a campaign; a server's ``CampaignDesk``
dials the campaigns launched in it; ``write_report`` writes one CSV row a recipient.
"""

from __future__ import annotations

from runner.campaigns._check import CampaignCheck, CampaignProblem, Recipient, check_recipients
from runner.campaigns._csv import RecipientsFile, RecipientsFileError, Row, read_recipients
from runner.campaigns._desk import CampaignDesk, OwnedCampaignStore, UnknownCampaignError
from runner.campaigns._dispatcher import Dispatcher, StoreDispatcher
from runner.campaigns._launch import (
    CAMPAIGN_NAME,
    BadCampaignName,
    CampaignBlocked,
    CampaignConflict,
    CampaignPlan,
    Launched,
    create_or_resume,
    plan_campaign,
)
from runner.campaigns._pacing import Pace
from runner.campaigns._phones import PhoneError, region_code, to_e164
from runner.campaigns._preview import PREVIEW_CALLS, DryRun
from runner.campaigns._report import REPORT_COLUMNS, input_columns, write_report
from runner.campaigns._retries import RetryPolicy, outcome_of
from runner.campaigns._run import CampaignRun, Clock, RunOptions, RunSummary
from runner.campaigns._script import NotCampaignFlowError, NotifyScript
from runner.campaigns._state import recipients_sha256
from runner.campaigns._views import campaign_json
from runner.campaigns._window import (
    DEFAULT_ZONE,
    TIMEZONE_COLUMN,
    CallingWindow,
    QuietHours,
    WindowError,
    recipient_zones,
    zone_named,
)

__all__ = [
    "CAMPAIGN_NAME",
    "DEFAULT_ZONE",
    "PREVIEW_CALLS",
    "REPORT_COLUMNS",
    "TIMEZONE_COLUMN",
    "BadCampaignName",
    "CallingWindow",
    "CampaignBlocked",
    "CampaignCheck",
    "CampaignConflict",
    "CampaignDesk",
    "CampaignPlan",
    "CampaignProblem",
    "CampaignRun",
    "Clock",
    "Dispatcher",
    "DryRun",
    "Launched",
    "NotCampaignFlowError",
    "NotifyScript",
    "OwnedCampaignStore",
    "Pace",
    "PhoneError",
    "QuietHours",
    "Recipient",
    "RecipientsFile",
    "RecipientsFileError",
    "RetryPolicy",
    "Row",
    "RunOptions",
    "RunSummary",
    "StoreDispatcher",
    "UnknownCampaignError",
    "WindowError",
    "campaign_json",
    "check_recipients",
    "create_or_resume",
    "input_columns",
    "outcome_of",
    "plan_campaign",
    "read_recipients",
    "recipient_zones",
    "recipients_sha256",
    "region_code",
    "to_e164",
    "write_report",
    "zone_named",
]
