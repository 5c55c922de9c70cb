"""``callflow setup``: is this config ready to run real calls? One line per check."""

from __future__ import annotations

import argparse
import json

from runner.cli._config_arg import add_config_argument, load_config_or_fail
from runner.config import setup_checks

HELP = "check the config is ready to run calls: credentials, public URL, security, flows"
DESCRIPTION = """\
Check the config, offline, and print one line per check, OK or FAIL:

  provider          the carrier the calls run on
  provider-config   every credential that carrier needs is set
  webhook-exposure  the carrier can reach public_url (not localhost, not a private address)
  webhook-security  webhook signatures are verified
  flows             every flow in flows and inbound.flow lints clean
  inbound           the inbound policy has what it needs

Nothing is dialled and no host name is resolved.

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
    checks = setup_checks(load_config_or_fail(args))
    ok = all(check.ok for check in checks)
    if args.json:
        document = {
            "ok": ok,
            "checks": [{"id": check.id, "ok": check.ok, "message": check.message} for check in checks],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        for check in checks:
            print(f"{'OK' if check.ok else 'FAIL'} {check.id}: {check.message}")
    return 0 if ok else 1
