"""A campaign as JSON, the same for ``callflow campaign status --json`` and the control API."""

from __future__ import annotations

from runner.store import CampaignSummary


def campaign_json(summary: CampaignSummary) -> dict[str, object]:
    """The campaign's name, state, flow, file and options, and its recipients' counts by
    status and by final outcome (zeros left out), and when the next retry is due."""
    campaign, counts = summary.campaign, summary.counts
    return {
        "name": campaign.name,
        "state": campaign.state,
        "flow": campaign.flow,
        "recipients_file": campaign.recipients_path,
        "options": dict(campaign.options),
        "recipients": counts.total,
        "by_status": {name: n for name, n in counts.by_status.items() if n},
        "by_outcome": {name: n for name, n in counts.by_outcome.items() if n},
        "next_attempt_at": counts.next_attempt_at,
    }
