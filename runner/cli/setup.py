"""``callflow setup``: is this config ready to run real calls? One line per check."""

from __future__ import annotations

import argparse
import asyncio
import json

from flows import Severity
from runner.agent import AgentClient, AgentError, AgentPools
from runner.carrier_fit import configured_notes
from runner.cli._config_arg import add_config_argument, load_config_or_fail
from runner.config import (
    AgentSettings,
    Config,
    SetupCheck,
    SetupWarning,
    configured_flows,
    setup_checks,
    setup_warnings,
)

CARRIER_LIMITS = "carrier-limits"
AGENT = "agent"
HELP = "check the config is ready to run calls: credentials, public URL, security, flows, audio, agent"
DESCRIPTION = """\
Check the config, offline, and print one line per check, OK or FAIL:

  provider          the carrier the calls run on
  provider-config   every credential that carrier needs is set
  webhook-exposure  the carrier can reach public_url (not localhost, not a private address)
  webhook-security  webhook signatures are verified
  flows             every flow in flows and inbound.flow lints clean
  inbound           the inbound policy has what it needs
  audio             when calls are streamed (audio: streaming or realtime): the speech
                    engines can be made (espeak-ng on PATH, the Whisper model's files,
                    the hosted engines' keys), the realtime provider is registered and
                    has its key; a FAIL line for each part that is not, naming the
                    config key to set
  agent             with an agent section: the agent's server answers, with its model

A WARN line is a setting that works but likely not as meant, or a value in the flows
the carrier takes only moved into its range (a gather timeout of 4 s is 5 s on
Plivo); a value it cannot take at all is a FAIL line, carrier-limits.

Nothing is dialled. Only the agent check goes on the network: it asks the agent's
server for its models (GET /models), else for a one-token completion.

exit status: 0 every check passed, 1 a check failed, 2 the config file cannot be read
or is invalid."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "setup", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_config_argument(parser)
    parser.add_argument(
        "--json", action="store_true", help='print {"ok": ..., "checks": [...]} instead of lines'
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config = load_config_or_fail(args)
    refused, moved = _carrier_limits(config)
    checks = [*setup_checks(config), *refused, *_agent_check(config.agent)]
    warnings = [*setup_warnings(config), *moved]
    ok = all(check.ok for check in checks)
    if args.json:
        document = {
            "ok": ok,
            "checks": [{"id": check.id, "ok": check.ok, "message": check.message} for check in checks],
            "warnings": [{"id": warning.id, "message": warning.message} for warning in warnings],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        for check in checks:
            print(f"{'OK' if check.ok else 'FAIL'} {check.id}: {check.message}")
        for warning in warnings:
            print(f"WARN {warning.id}: {warning.message}")
    return 0 if ok else 1


def _carrier_limits(config: Config) -> tuple[list[SetupCheck], list[SetupWarning]]:
    """The flows' values the carrier cannot take (failed checks) and takes only moved (warnings)."""
    notes = configured_notes(configured_flows(config), config.provider.value)
    refused = [SetupCheck(CARRIER_LIMITS, False, n.describe()) for n in notes if n.severity is Severity.ERROR]
    moved = [SetupWarning(CARRIER_LIMITS, n.describe()) for n in notes if n.severity is Severity.WARNING]
    return refused, moved


def _agent_check(agent: AgentSettings | None) -> list[SetupCheck]:
    if agent is None:
        return []

    async def ask() -> str:
        pools = AgentPools()
        try:
            return await AgentClient(agent, pools).check()
        finally:
            await pools.aclose()

    try:
        return [SetupCheck(AGENT, True, asyncio.run(ask()))]
    except AgentError as error:
        return [SetupCheck(AGENT, False, str(error))]
