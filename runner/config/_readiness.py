"""``callflow setup``'s checks: is this config ready to run real calls?

Each check looks at the config alone, offline: nothing is dialled, resolved or fetched.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from flows import Problem, Severity, lint_paths
from runner.config._audio_readiness import audio_checks
from runner.config._credentials import CREDENTIAL_ENV, missing_credentials
from runner.config._exposure import ip_literal, is_loopback, unreachable_reason
from runner.config._model import Config, InboundPolicy, ProviderName
from runner.config._setup_results import SetupCheck, SetupWarning
from runner.config._webhook_url import webhook_url

_CALLER_ID_WARNING = "caller ID can be spoofed, so an allowlist is a weak screen, not authentication"


def setup_warnings(config: Config) -> list[SetupWarning]:
    """What the config allows that is likely not what was meant."""
    warnings: list[SetupWarning] = []
    reaper, longest = config.stale_call_reaper_seconds, config.max_duration_seconds
    if 0 < reaper <= longest:
        warnings.append(
            SetupWarning(
                "stale-call-reaper",
                f"stale_call_reaper_seconds ({reaper}) is not above max_duration_seconds ({longest}): "
                f"the reaper would end a call that hears nothing from the carrier for {reaper} s, "
                f"which max_duration_seconds allows; set it above {longest}, or to 0 (off)",
            )
        )
    agent = config.agent
    if agent is not None and agent.api_key is not None:
        parts = urlsplit(agent.base_url)
        if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
            warnings.append(
                SetupWarning(
                    "agent-plain-http",
                    f"agent.base_url is http:// to {parts.hostname}: the API key and the callers' words "
                    "cross the network in the clear; use https://",
                )
            )
    return warnings


def configured_flows(config: Config) -> list[Path]:
    """The flow files the server loads: ``flows``, then ``inbound.flow``, each once."""
    return list(dict.fromkeys([*config.flows, *([config.inbound.flow] if config.inbound.flow else [])]))


def setup_checks(config: Config) -> list[SetupCheck]:
    """Every check, in a fixed order: provider, provider-config, webhook-exposure,
    webhook-security, flows, inbound, then audio (a line for each of its failing parts)."""
    return [*(check(config) for check in _CHECKS), *audio_checks(config, configured_flows(config))]


def _provider(config: Config) -> SetupCheck:
    where = f"config file {config.source}" if config.source is not None else "no config file"
    return SetupCheck("provider", True, f"{config.provider.value} ({where})")


def _provider_config(config: Config) -> SetupCheck:
    if config.provider is ProviderName.MOCK:
        return SetupCheck("provider-config", True, "the mock provider needs no credentials")
    missing = missing_credentials(config)
    if not missing:
        return SetupCheck("provider-config", True, f"every {config.provider.value} credential is set")
    variables = ", ".join(CREDENTIAL_ENV[key] for key in missing)
    them = "them" if len(missing) > 1 else "it"
    return SetupCheck(
        "provider-config",
        False,
        f"{config.provider.value} needs {', '.join(missing)}: set {them} in the config file "
        f"or the environment ({variables})",
    )


def public_url_problem(config: Config) -> str | None:
    """Why the carrier cannot reach ``public_url`` at all: it is not set, or its host is
    this machine or a private network. None when it may, and always on the mock, which
    needs no public URL."""
    if config.provider is ProviderName.MOCK:
        return None
    provider = config.provider.value
    if config.public_url is None:
        return (
            f"public_url is not set: {provider} cannot reach this server's webhook; set it to the "
            "https:// address that reaches this server (a tunnel's, say)"
        )
    # The config check has made sure the URL has a host.
    host = urlsplit(config.public_url).hostname or ""
    reason = unreachable_reason(host)
    return None if reason is None else f"public_url host {host} is {reason}: {provider} cannot reach it"


def _webhook_exposure(config: Config) -> SetupCheck:
    if config.provider is ProviderName.MOCK:
        return SetupCheck(
            "webhook-exposure", True, "the mock provider sends no webhooks; public_url is not needed"
        )
    problem = public_url_problem(config)
    parts = urlsplit(config.public_url or "")
    if config.public_url is not None and parts.scheme != "https":
        return SetupCheck(
            "webhook-exposure",
            False,
            f"public_url is {parts.scheme}://: webhooks carry callers' numbers and words; "
            "put TLS in front (a reverse proxy or a tunnel) and use https://",
        )
    if problem is not None:
        return SetupCheck("webhook-exposure", False, problem)
    host = parts.hostname or ""
    found = "a public address" if ip_literal(host) is not None else "not resolved"
    return SetupCheck(
        "webhook-exposure",
        True,
        f"public_url host {host} is {found}; make sure it reaches this server; "
        f"webhook URL for the {config.provider.value} console: {webhook_url(config)}",
    )


def _webhook_security(config: Config) -> SetupCheck:
    if config.webhook_security.skip_signature_verification:
        return SetupCheck(
            "webhook-security",
            False,
            "signature verification is off: anyone can drive calls; use it only for local development",
        )
    if (
        config.provider is ProviderName.TELNYX
        and config.telnyx.public_key
        and not _is_ed25519_key(config.telnyx.public_key)
    ):
        return SetupCheck(
            "webhook-security",
            False,
            "telnyx.public_key is not a base64 Ed25519 public key (32 bytes): every webhook would be refused",
        )
    return SetupCheck("webhook-security", True, "webhook signatures are verified")


def _is_ed25519_key(text: str) -> bool:
    try:
        return len(base64.b64decode(text, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def _flows(config: Config) -> SetupCheck:
    paths = configured_flows(config)
    if not paths:
        return SetupCheck("flows", True, "no flows configured")
    report = lint_paths(paths)
    failures = report.errors + len(report.failures)
    if not failures:
        return SetupCheck("flows", True, f"{_count(len(report.files), 'flow')} lint clean")
    # An unreadable file stops a flow from running at all: it comes before any lint error.
    first = report.failures[0] if report.failures else _first_error(report.problems)
    return SetupCheck("flows", False, f"{_count(failures, 'error')} in the flows; first: {first}")


def _first_error(problems: list[Problem]) -> str:
    return next(problem.format() for problem in problems if problem.severity is Severity.ERROR)


def _inbound(config: Config) -> SetupCheck:
    inbound = config.inbound
    if inbound.policy is InboundPolicy.DISABLED:
        return SetupCheck("inbound", True, "inbound calls are rejected (policy disabled)")
    needs = []
    if inbound.policy is InboundPolicy.ALLOWLIST and not inbound.allow_from:
        needs.append("numbers in inbound.allow_from")
    # Loading refuses inbound.agent without an agent section or with a flow.
    if not inbound.agent and inbound.flow is None:
        needs.append("inbound.flow")
    note = f"; {_CALLER_ID_WARNING}" if inbound.policy is InboundPolicy.ALLOWLIST else ""
    if needs:
        return SetupCheck(
            "inbound", False, f"policy {inbound.policy.value} needs {' and '.join(needs)}{note}"
        )
    who = (
        _count(len(inbound.allow_from), "allowed number")
        if inbound.policy is InboundPolicy.ALLOWLIST
        else "anyone"
    )
    answer = f"run {inbound.flow}"
    if inbound.agent:
        model = f" ({config.agent.model})" if config.agent is not None else ""
        answer = f"are answered by the agent{model}"
    return SetupCheck("inbound", True, f"inbound calls from {who} {answer}{note}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


_CHECKS: tuple[Callable[[Config], SetupCheck], ...] = (
    _provider,
    _provider_config,
    _webhook_exposure,
    _webhook_security,
    _flows,
    _inbound,
)
