"""The server's Prometheus metrics, in a registry of its own (one per app, so tests and
several apps in one process never share counters)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        # Each process counts what happens in it: started + restored = ended + in flight.
        self.calls_started = Counter(
            "callflow_calls_started",
            "Calls placed or admitted by this process",
            ["direction"],
            registry=self.registry,
        )
        self.calls_restored = Counter(
            "callflow_calls_restored",
            "Calls in flight that an earlier process started (and counted as started) and this one "
            "brought back from the store",
            registry=self.registry,
        )
        self.calls_ended = Counter(
            "callflow_calls_ended",
            "Calls ended in this process, by end reason, each once; a call brought back from the "
            "store counts its end here",
            ["reason"],
            registry=self.registry,
        )
        self.calls_in_flight = Gauge(
            "callflow_calls_in_flight", "Calls in flight in this process", registry=self.registry
        )
        self.calls_by_state = Gauge(
            "callflow_calls_by_state",
            "Calls in flight in this process, by lifecycle state",
            ["state"],
            registry=self.registry,
        )
        self.webhook_seconds = Histogram(
            "callflow_webhook_seconds",
            "Time to answer a voice webhook",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0),
            registry=self.registry,
        )
        self._ended: dict[str, Counter] = {}
        self.errors = Counter(
            "callflow_errors", "Requests answered with an error, by kind", ["kind"], registry=self.registry
        )
        self.agent_redirects = Counter(
            "callflow_agent_redirects",
            "Webhook requests answered with a redirect because the agent had not answered yet",
            registry=self.registry,
        )
        self.webhook_repeats = Counter(
            "callflow_webhook_repeats",
            "Webhook requests answered again with an earlier answer (a carrier's retry, or a copy)",
            registry=self.registry,
        )

        # Campaigns: labelled by name (a server dials a handful, not thousands).
        self.campaign_calls_placed = Counter(
            "callflow_campaign_calls_placed",
            "Calls a campaign placed in this process",
            ["campaign"],
            registry=self.registry,
        )
        self.campaign_outcomes = Counter(
            "callflow_campaign_outcomes",
            "Recipients a campaign settled in this process, by final outcome",
            ["campaign", "outcome"],
            registry=self.registry,
        )
        self.campaign_retries = Counter(
            "callflow_campaign_retries",
            "Attempts that ended in a retry, by the attempt's outcome",
            ["campaign", "outcome"],
            registry=self.registry,
        )
        self.campaign_recipients = Gauge(
            "callflow_campaign_recipients",
            "Recipients of the campaigns this process dials, by status (read from the store when scraped)",
            ["campaign", "status"],
            registry=self.registry,
        )
        self.campaigns_dialing = Gauge(
            "callflow_campaigns_dialing", "Campaigns this process is dialing", registry=self.registry
        )

    def ended(self, reason: str) -> Counter:
        """The calls_ended counter of ``reason``; found once per reason, not on every call."""
        counter = self._ended.get(reason)
        if counter is None:
            counter = self._ended[reason] = self.calls_ended.labels(reason)
        return counter

    def text(self) -> bytes:
        return generate_latest(self.registry)
