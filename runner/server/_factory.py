"""Everything a server needs, built from the config: flows, carrier, service, app."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from starlette.types import ASGIApp

from flows import Flow, FlowError, Severity, load_flow
from runner.agent import ConsultAgent
from runner.builtin import BUILTIN_FLOWS, INBOUND_AGENT_FLOW
from runner.campaigns import CampaignDesk
from runner.carrier_fit import carrier_problems
from runner.config import (
    DEFAULT_AGENT_FILLER,
    DEFAULT_AGENT_HOLD_SECONDS,
    Config,
    ProviderName,
    public_base,
)
from runner.media import MediaStreams, stream_protocol
from runner.providers import Provider, plivo, telnyx, twilio
from runner.providers.mock import MockProvider
from runner.providers.mock_outcomes import MockOutcomes
from runner.providers.plivo import PlivoProvider
from runner.providers.telnyx import TelnyxProvider
from runner.providers.twilio import TwilioProvider
from runner.realtime import RealtimeError, RealtimeProvider, UnknownRealtimeProvider, build_realtime_provider
from runner.server._app import AppSettings, build_app
from runner.server._guard import GuardLimits, SignatureCheck
from runner.server._public_url import PublicUrl
from runner.server._signatures import PlivoSignature, TelnyxSignature, TwilioSignature
from runner.server._token import control_token
from runner.service import CallService, InboundSettings, Owners, ServiceSettings
from runner.speech import CachedSynthesizer, SpeechError, build_recognizer, build_synthesizer
from runner.store import open_store

logger = logging.getLogger("callflow.server")


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
    #: Lint lines for the flows' values the carrier takes only moved into its ranges.
    warnings: list[str] = field(default_factory=list)


def load_flows(paths: Sequence[Path]) -> list[Flow]:
    """Every flow, compiled once however its path is spelled; ServerSetupError with the
    lint output when one is not clean, or when two files have the same flow name."""
    flows: dict[str, Flow] = {}
    # A path on the command line is relative to the current folder, one in the config
    # to the config's: the same file may come in spelled both ways. Errors quote the
    # first spelling.
    spellings: dict[Path, Path] = {}
    for path in paths:
        spellings.setdefault(path.resolve(), path)
    for path in spellings.values():
        try:
            flow = load_flow(path)
        except FlowError as error:
            problems = getattr(error, "problems", [])
            raise ServerSetupError(str(error), [problem.format() for problem in problems]) from None
        if flow.name in flows:
            first = flows[flow.name].file
            raise ServerSetupError(f"two flows are named '{flow.name}': {first} and {flow.file}")
        flows[flow.name] = flow
    return list(flows.values())


def build_server(
    config: Config,
    data_dir: Path,
    port: int,
    extra_flows: Sequence[Path] = (),
    mock_outcomes: MockOutcomes | None = None,
) -> ServerParts:
    """The parts of a server listening on ``port`` (the bound one, when the config says 0).
    ``mock_outcomes``: what the mock carrier's calls come to (every call answered if None)."""
    inbound_file = INBOUND_AGENT_FLOW if config.inbound.agent else config.inbound.flow
    inbound = [inbound_file] if inbound_file is not None else []
    paths = [*config.flows, *inbound, *extra_flows, *BUILTIN_FLOWS]
    flows = load_flows(paths)
    inbound_flow = None
    if inbound_file is not None:
        resolved = inbound_file.resolve()
        inbound_flow = next(flow.name for flow in flows if Path(flow.file).resolve() == resolved)
    local_url = f"http://{_url_host(config.serve.bind)}:{port}"
    provider, check = _carrier(config, mock_outcomes)
    warnings = _fit_flows(flows, provider.name)
    # The mock carrier lives in this process and calls the server where it listens.
    public = None if config.provider is ProviderName.MOCK else config.public_url
    base = local_url if public is None else public_base(public, config.serve.path)
    webhook_url = base + config.serve.path
    realtime = _realtime_provider(config, flows)
    settings = ServiceSettings(
        webhook_url=webhook_url,
        from_number=config.from_number,
        max_duration_seconds=config.max_duration_seconds,
        stale_call_reaper_seconds=config.stale_call_reaper_seconds,
        max_concurrent_calls=config.max_concurrent_calls,
        inbound=InboundSettings(
            policy=config.inbound.policy.value,
            allow_from=config.inbound.allow_from,
            flow=inbound_flow,
            greeting=config.inbound.greeting,
        ),
        # Without an agent section, the defaults hold replies spoken from outside too.
        agent_hold_seconds=DEFAULT_AGENT_HOLD_SECONDS if config.agent is None else config.agent.hold_seconds,
        agent_filler=DEFAULT_AGENT_FILLER if config.agent is None else config.agent.filler,
        audio_path=config.audio.path,
        realtime=realtime is not None,
    )
    agent = None if config.agent is None else ConsultAgent(config.agent)
    service = CallService(
        settings, provider, lambda: open_store(data_dir), flows, owners=Owners(data_dir), agent=agent
    )
    campaigns = CampaignDesk(service, lambda: open_store(data_dir), default_zone=config.timezone)
    media = _media_streams(config, flows, service, realtime)
    security = config.webhook_security
    public_url = PublicUrl.from_settings(
        None if public is None else base,
        security.allowed_hosts,
        security.trusted_proxy_ips,
        security.trust_forwarding_headers,
    )
    app = build_app(
        service,
        AppSettings(webhook_path=config.serve.path, control_token=control_token(data_dir)),
        check=None if security.skip_signature_verification else check,
        public_url=public_url,
        limits=GuardLimits(
            per_address=_per_address_limit(config), replay_max_bytes=security.replay_cache_mb << 20
        ),
        campaigns=campaigns,
        media=media,
    )
    return ServerParts(app, service, provider, webhook_url, local_url, warnings)


def _media_streams(
    config: Config, flows: Sequence[Flow], service: CallService, realtime: RealtimeProvider | None
) -> MediaStreams | None:
    """The media path, when a flow or the config streams calls or a realtime provider
    talks with them: the speech engines made (the recognizer's model loads with the first
    call). ServerSetupError when they cannot be."""
    streaming = config.audio.path == "streaming" or any(flow.audio == "streaming" for flow in flows)
    if not streaming and realtime is None:
        return None
    try:
        # The flow's prompts are the same for every caller: each is synthesized once.
        synthesizer = CachedSynthesizer(build_synthesizer(config.audio.synthesizer_settings()))
        recognizer = build_recognizer(config.audio.recognizer_settings()) if streaming else None
    except SpeechError as error:
        raise ServerSetupError(
            f"calls are streamed, but the speech engines cannot be made: {error}", []
        ) from None
    protocol = stream_protocol(service.provider.name)
    return MediaStreams(service, synthesizer, recognizer, realtime=realtime, protocol=protocol)


def _realtime_provider(config: Config, flows: Sequence[Flow]) -> RealtimeProvider | None:
    """The realtime provider, when a flow talks through one. A name no provider has is
    logged, and realtime calls take the gather path rather than fail; ServerSetupError
    when the provider cannot be made (no key)."""
    if not any(flow.audio == "realtime" for flow in flows):
        return None
    try:
        return build_realtime_provider(config.audio.realtime_settings())
    except UnknownRealtimeProvider as error:
        logger.warning("%s; realtime calls take the gather path", error)
        return None
    except RealtimeError as error:
        raise ServerSetupError(f"realtime calls cannot be made: {error}", []) from None


def _per_address_limit(config: Config) -> int:
    """Requests in flight from one address at most. The mock carrier posts every call's
    webhooks from this machine's one address, one request a call at a time: it may have
    as many in flight as there are calls, or a campaign's calls would be refused (429)
    by the limit meant for one stranger."""
    limit = config.webhook_security.max_in_flight_per_address
    if config.provider is ProviderName.MOCK:
        return max(limit, config.max_concurrent_calls)
    return limit


def _fit_flows(flows: Sequence[Flow], provider: str) -> list[str]:
    """Lint lines for the values ``provider`` takes only moved; ServerSetupError with the
    lines for those it cannot take at all, which would end every call that reaches them."""
    problems = [problem for flow in flows for problem in carrier_problems(flow, provider)]
    refused = [problem.format() for problem in problems if problem.severity is Severity.ERROR]
    if refused:
        count = f"{len(refused)} value{'s' if len(refused) != 1 else ''}"
        raise ServerSetupError(
            f"the flows have {count} that {provider} cannot take; run 'callflow lint --provider {provider}'",
            refused,
        )
    return [problem.format() for problem in problems]


def _carrier(config: Config, mock_outcomes: MockOutcomes | None) -> tuple[Provider, SignatureCheck]:
    """The provider and how its webhooks are signed. Raises ProviderConfigError."""
    if config.provider is ProviderName.TWILIO:
        token = config.twilio.auth_token.reveal() if config.twilio.auth_token else None
        api_base = config.twilio.api_base or twilio.API_BASE
        provider: Provider = TwilioProvider(config.twilio.account_sid, token, api_base=api_base)
        return provider, TwilioSignature(token or "")
    if config.provider is ProviderName.PLIVO:
        token = config.plivo.auth_token.reveal() if config.plivo.auth_token else None
        api_base = config.plivo.api_base or plivo.API_BASE
        return PlivoProvider(config.plivo.auth_id, token, api_base=api_base), PlivoSignature(token or "")
    if config.provider is ProviderName.TELNYX:
        key = config.telnyx.api_key.reveal() if config.telnyx.api_key else None
        check = TelnyxSignature(config.telnyx.public_key or "")
        settings = config.telnyx
        api_base = settings.api_base or telnyx.API_BASE
        return TelnyxProvider(key, settings.connection_id, settings.account_sid, api_base=api_base), check
    # The mock signs its requests as Twilio does, with a key made for this process, so
    # calls on the mock go through the same verification as calls on a carrier.
    key = secrets.token_urlsafe(24)
    return MockProvider(auth_token=key, outcomes=mock_outcomes), TwilioSignature(key)


def _url_host(bind: str) -> str:
    if bind in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{bind}]" if ":" in bind else bind
