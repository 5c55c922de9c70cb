"""Notify campaigns: one flow, a CSV file of recipients, every row checked before any call.

``read_recipients`` reads the file, ``NotifyScript`` takes from the flow what its calls
say, ``check_recipients`` checks each row against the flow's inputs and the carrier's
limits, and ``DryRun`` sums up what a campaign would do. A campaign's durable state
(``Campaign``, one ``RecipientState`` a row) is kept by ``runner.store``'s
``CampaignStore``; ``recipients_sha256`` fingerprints the recipients file.
``CampaignRun`` dials the recipients a ``Dispatcher`` (``StoreDispatcher``: the store's)
hands out, paced, retried (``RetryPolicy``), and resumed after a crash.
"""

from __future__ import annotations

from runner.campaigns._check import CampaignCheck, CampaignProblem, Recipient, check_recipients
from runner.campaigns._csv import RecipientsFile, RecipientsFileError, Row, read_recipients
from runner.campaigns._dispatcher import Dispatcher, StoreDispatcher
from runner.campaigns._pacing import Pace
from runner.campaigns._phones import PhoneError, region_code, to_e164
from runner.campaigns._preview import PREVIEW_CALLS, DryRun
from runner.campaigns._retries import RetryPolicy, outcome_of
from runner.campaigns._run import CampaignRun, Clock, RunOptions, RunSummary
from runner.campaigns._script import NotCampaignFlowError, NotifyScript
from runner.campaigns._state import recipients_sha256

__all__ = [
    "PREVIEW_CALLS",
    "CampaignCheck",
    "CampaignProblem",
    "CampaignRun",
    "Clock",
    "Dispatcher",
    "DryRun",
    "NotCampaignFlowError",
    "NotifyScript",
    "Pace",
    "PhoneError",
    "Recipient",
    "RecipientsFile",
    "RecipientsFileError",
    "RetryPolicy",
    "Row",
    "RunOptions",
    "RunSummary",
    "StoreDispatcher",
    "check_recipients",
    "outcome_of",
    "read_recipients",
    "recipients_sha256",
    "region_code",
    "to_e164",
]
