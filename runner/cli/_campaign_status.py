"""``callflow campaign status NAME`` and ``callflow campaign list``: campaigns as the store
keeps them, read without a server."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from runner.campaigns import campaign_json
from runner.cli._base import UsageError
from runner.cli._data_dir import reading_store
from runner.cli._server_args import records_dir
from runner.store import (
    RECIPIENT_STATUSES,
    CampaignCounts,
)


def status(args: argparse.Namespace) -> int:
    data_dir = records_dir(args)
    with reading_store(data_dir) as store:
        summaries = [] if store is None else store.campaigns()
    found = next((summary for summary in summaries if summary.campaign.name == args.name), None)
    if found is None:
        known = ", ".join(summary.campaign.name for summary in summaries) or "none yet"
        raise UsageError(f"no campaign named '{args.name}' in {data_dir} (known: {known})")
    campaign, counts = found.campaign, found.counts
    if args.json:
        print(json.dumps(campaign_json(found), indent=2))
        return 0
    print(f"campaign {campaign.name}: {campaign.state}, flow {campaign.flow}, {campaign.recipients_path}")
    print(format_counts(counts), end="")
    if counts.next_attempt_at is not None:
        print(f"next retry due: {_utc(counts.next_attempt_at)}")
    return 0


def list_campaigns(args: argparse.Namespace) -> int:
    with reading_store(records_dir(args)) as store:
        summaries = [] if store is None else store.campaigns()
    if args.json:
        print(json.dumps([campaign_json(summary) for summary in summaries], indent=2))
        return 0
    if not summaries:
        print("no campaigns yet")
    width = max((len(summary.campaign.name) for summary in summaries), default=0)
    for summary in summaries:
        counts = summary.counts
        settled = counts.by_status.get("done", 0) + counts.by_status.get("invalid", 0)
        outcomes = _joined(counts.by_outcome)
        print(
            f"{summary.campaign.name:<{width}}  {summary.campaign.state:<9}  {settled}/{counts.total} settled"
            + (f"  {outcomes}" if outcomes else "")
        )
    return 0


def format_counts(counts: CampaignCounts) -> str:
    """The recipients by status and by final outcome, a line each."""
    lines = [f"  recipients: {counts.total} ({_joined(counts.by_status, RECIPIENT_STATUSES) or 'none'})"]
    outcomes = _joined(counts.by_outcome)
    lines.append(f"  outcomes:   {outcomes or 'none yet'}")
    return "\n".join(lines) + "\n"


def _joined(counts: Mapping[Any, int], order: Sequence[str] | None = None) -> str:
    """``name n, ...`` for the non-zero counts, in ``order`` (else by name)."""
    names = order if order is not None else sorted(counts)
    return ", ".join(f"{name} {counts[name]}" for name in names if counts.get(name))


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
