"""Everything a server needs, built from the config: flows, carrier, service, app."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from starlette.types import ASGIApp

from flows import Flow, FlowError, load_flow
from runner.builtin import SMOKE_FLOW
from runner.config import Config, ProviderName
from runner.providers._base import Provider
from runner.providers.mock import MockProvider
from runner.providers.plivo import PlivoProvider
from runner.providers.telnyx import TelnyxProvider
from runner.providers.twilio import TwilioProvider
from runner.server._app import AppSettings, build_app
from runner.server._guard import GuardLimits, SignatureCheck
from runner.server._public_url import PublicUrl
from runner.server._signatures import PlivoSignature, TelnyxSignature, TwilioSignature
from runner.server._token import control_token
from runner.service import CallService, InboundPolicy, ServiceSettings
from runner.store import open_store


class ServerSetupError(Exception):
    """The server cannot start as configured; ``details`` are lines to show (lint output)."""

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.details = list(details)


@dataclass
class ServerParts:
    app: ASGIApp
    service: CallService
    provider: Provider
    webhook_url: str
    local_url: str


def load_flows(paths: Sequence[Path]) -> list[Flow]:
    """Every flow, compiled; ServerSetupError with the lint output when one is not clean."""
    flows: dict[str, Flow] = {}
    for path in paths:
        try:
            flow = load_flow(path)
        except FlowError as error:
            problems = getattr(error, "problems", [])
            raise ServerSetupError(str(error), [problem.format() for problem in problems]) from None
        if flow.name in flows and flows[flow.name].file != flow.file:
            first = flows[flow.name].file
            raise ServerSetupError(f"two flows are named '{flow.name}': {first} and {flow.file}")
        flows[flow.name] = flow
    return list(flows.values())


def build_server(config: Config, data_dir: Path, port: int, extra_flows: Sequence[Path] = ()) -> ServerParts:
    """The parts of a server listening on ``port`` (the bound one, when the config says 0)."""
    inbound = [config.inbound.flow] if config.inbound.flow else []
    paths = [*config.flows, *inbound, *extra_flows, SMOKE_FLOW]
    flows = load_flows(list(dict.fromkeys(paths)))
    inbound_flow = None
    if config.inbound.flow is not None:
        inbound_flow = next(flow.name for flow in flows if Path(flow.file) == config.inbound.flow)
    local_url = f"http://{_url_host(config.serve.bind)}:{port}"
    provider, check = _carrier(config)
    # The mock carrier lives in this process and calls the server where it listens.
    base = local_url if config.provider is ProviderName.MOCK else (config.public_url or local_url)
    webhook_url = base.rstrip("/") + config.serve.path
    settings = ServiceSettings(
        webhook_url=webhook_url,
        from_number=config.from_number,
        max_duration_seconds=config.max_duration_seconds,
        stale_call_reaper_seconds=config.stale_call_reaper_seconds,
        max_concurrent_calls=config.max_concurrent_calls,
        inbound=InboundPolicy(
            policy=config.inbound.policy.value,
            allow_from=config.inbound.allow_from,
            flow=inbound_flow,
            greeting=config.inbound.greeting,
        ),
    )
    service = CallService(settings, provider, lambda: open_store(data_dir), flows)
    security = config.webhook_security
    public_url = PublicUrl.from_settings(
        None if config.provider is ProviderName.MOCK else config.public_url,
        security.allowed_hosts,
        security.trusted_proxy_ips,
        security.trust_forwarding_headers,
    )
    app = build_app(
        service,
        AppSettings(webhook_path=config.serve.path, control_token=control_token(data_dir)),
        check=None if security.skip_signature_verification else check,
        public_url=public_url,
        limits=GuardLimits(per_address=security.max_in_flight_per_address),
    )
    return ServerParts(app, service, provider, webhook_url, local_url)


def _carrier(config: Config) -> tuple[Provider, SignatureCheck]:
    """The provider and how its webhooks are signed. Raises ProviderConfigError."""
    if config.provider is ProviderName.TWILIO:
        token = config.twilio.auth_token.reveal() if config.twilio.auth_token else None
        provider: Provider = TwilioProvider(config.twilio.account_sid, token)
        return provider, TwilioSignature(token or "")
    if config.provider is ProviderName.PLIVO:
        token = config.plivo.auth_token.reveal() if config.plivo.auth_token else None
        return PlivoProvider(config.plivo.auth_id, token), PlivoSignature(token or "")
    if config.provider is ProviderName.TELNYX:
        key = config.telnyx.api_key.reveal() if config.telnyx.api_key else None
        check = TelnyxSignature(config.telnyx.public_key or "")
        return TelnyxProvider(key, config.telnyx.connection_id), check
    # The mock signs its requests as Twilio does, with a key made for this process, so
    # calls on the mock go through the same verification as calls on a carrier.
    key = secrets.token_urlsafe(24)
    return MockProvider(auth_token=key), TwilioSignature(key)


def _url_host(bind: str) -> str:
    if bind in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{bind}]" if ":" in bind else bind
