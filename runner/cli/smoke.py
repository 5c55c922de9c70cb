"""``callflow smoke``: check the setup, then (with --yes) place one short real call."""

from __future__ import annotations

import argparse

from flows import e164_problem
from runner.builtin import SMOKE_FLOW, SMOKE_FLOW_NAME
from runner.cli._base import UsageError
from runner.cli._config_arg import load_config_or_fail
from runner.cli._server_args import add_server_arguments
from runner.cli.call import place_and_report
from runner.config import setup_checks

HELP = "run setup, then (with --yes) place one short notify call"
DESCRIPTION = """\
Run the checks of 'callflow setup'. If they pass, say which call would be placed; with
--yes, place it: one short notify call to --to ("This is a callflow smoke test ..."),
through the server (one is started here if none runs), and print how it ended.

Without --yes nothing is dialled: a dry run.

exit status: 0 checks passed (and the call, if placed, ran to an end), 1 a check
failed or the call failed, 2 bad arguments or config."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "smoke", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--to", metavar="NUMBER", help="the number to call (E.164)")
    parser.add_argument("--yes", action="store_true", help="place the call (without it: a dry run)")
    parser.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS", help=argparse.SUPPRESS)
    add_server_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config = load_config_or_fail(args)
    checks = setup_checks(config)
    for check in checks:
        print(f"{'OK' if check.ok else 'FAIL'} {check.id}: {check.message}")
    if not all(check.ok for check in checks):
        print("smoke: a check failed; no call placed")
        return 1
    if args.yes and args.to is None:
        raise UsageError("--yes places a call: give the number with --to NUMBER")
    if args.to is not None and (problem := e164_problem(args.to)) is not None:
        raise UsageError(f"--to: {problem}, found '{args.to}'")
    target = args.to or "NUMBER (give --to)"
    if not args.yes:
        provider = config.provider.value
        print(f"dry run: would place a short notify call to {target} on {provider}; add --yes to place it")
        return 0
    return place_and_report(
        args, config, SMOKE_FLOW, SMOKE_FLOW_NAME, {"phone": args.to}, args.to, [], no_wait=False
    )
