"""``callflow call``: place one call through the server and report how it ended."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from runner.cli._base import CommandError, UsageError
from runner.cli._config_arg import load_config_or_fail
from runner.cli._flow_args import add_flow_arguments, load_flow_or_fail, parse_vars
from runner.cli._mock_args import add_mock_outcome_arguments, mock_outcomes_from
from runner.cli._own_server import server_client
from runner.cli._server_args import (
    add_allow_private_url_argument,
    add_server_arguments,
    data_dir_for,
)
from runner.cli._transcript import transcript
from runner.client import ControlClient, ControlError, ServerUnreachable
from runner.config import Config
from runner.providers.mock_outcomes import MockOutcomes
from runner.store import record_from_json
from runner.types import EndReason

NO_WAIT_NEEDS_A_SERVER = (
    "--no-wait needs a running server ('callflow serve' with this config): with none, this "
    "command starts one that stops when it returns, and the call could not go on"
)

HELP = "place one call of a flow and print its outcome (starts a server if none runs)"
DESCRIPTION = """\
Place one call of FLOW to --to through the webhook server, print its id, wait for it
to end and print what was said and how it ended.

With a server running ('callflow serve', same config), the call goes through its
control API. With none, one is started in this process for the life of the call (and
of any other call placed through it meanwhile): one webhook server per machine. As
with 'callflow serve', a carrier other than mock needs a public_url it can reach for
that, unless --allow-private-url is given. A call cannot outlive the server this
command starts: when --timeout passes, or on Ctrl-C, the call is hung up (hangup-bot)
before the server stops, and --no-wait needs a running server.

On the mock provider (the default), --input scripts the callee as in 'simulate':
keys, say:TEXT, silence, wait:N, hangup; --mock-outcomes (with --seed) makes the call
busy, unanswered, failed or answered by a machine, drawn from the shares given.

exit status: 0 the call ran to an end, 1 it failed (carrier error, failed, error) or
had not ended within --timeout, 2 bad arguments, inputs or config, 130 Ctrl-C."""

FAILED = {EndReason.FAILED.value, EndReason.ERROR.value}


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "call", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_flow_arguments(parser)
    parser.add_argument("--to", metavar="NUMBER", help="the number to call (default: the flow's 'to')")
    parser.add_argument(
        "--input", action="append", default=[], metavar="X", help="the mock callee's next action"
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, metavar="SECONDS", help="how long to wait for the end"
    )
    parser.add_argument("--no-wait", action="store_true", help="print the call id and return at once")
    add_server_arguments(parser)
    add_allow_private_url_argument(parser)
    add_mock_outcome_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    flow = load_flow_or_fail(args.flow)
    config = load_config_or_fail(args)
    return place_and_report(
        args,
        config,
        args.flow,
        flow.name,
        parse_vars(args.var),
        args.to,
        args.input,
        args.no_wait,
        allow_private_url=args.allow_private_url,
        mock_outcomes=mock_outcomes_from(args, config),
    )


def place_and_report(
    args: argparse.Namespace,
    config: Config,
    flow_path: Path,
    flow_name: str,
    variables: dict[str, str],
    to: str | None,
    inputs: list[str],
    no_wait: bool,
    *,
    allow_private_url: bool = False,
    mock_outcomes: MockOutcomes | None = None,
) -> int:
    """Place one call through the server (started here if none runs) and print how it went.

    A server started here refuses a public_url no carrier can reach, as ``serve`` does,
    unless ``allow_private_url``; its mock carrier draws ``mock_outcomes``."""
    server = server_client(
        config,
        data_dir_for(args, config),
        flow_path,
        allow_private_url=allow_private_url,
        mock_outcomes=mock_outcomes,
        needs_running=NO_WAIT_NEEDS_A_SERVER if no_wait else None,
    )
    with server as (client, started_here):
        try:
            placed = client.initiate(flow_name, variables, to=to, inputs=inputs)
            call_id = placed["id"]
            print(f"call {call_id} placed to {placed['to_number']} (flow {flow_name})", flush=True)
            if no_wait:
                return 0
            try:
                ended = client.wait(call_id, args.timeout)
            except KeyboardInterrupt:
                if started_here:
                    _hang_up(client, call_id)
                raise
            hung_up = started_here and ended["end_reason"] is None
            if hung_up:
                ended = _hang_up(client, call_id)
        except ControlError as error:
            raise (UsageError if error.status in (400, 404) else CommandError)(str(error)) from None
        except ServerUnreachable as error:
            raise CommandError(str(error)) from None
    record = record_from_json({key: value for key, value in ended.items() if key != "waiting_for"})
    print(transcript(record, f"on {record.provider}"), end="")
    if hung_up:
        print(
            f"call {call_id} had not ended after {args.timeout:g} s: hung up, as the server this "
            "command started stops with it ('callflow serve' runs calls that outlive the command)",
            file=sys.stderr,
        )
        return 1
    if record.end_reason is None:
        print(f"call {call_id} has not ended after {args.timeout:g} s", file=sys.stderr)
        return 1
    return 1 if record.end_reason.value in FAILED else 0


def _hang_up(client: ControlClient, call_id: str) -> dict[str, Any]:
    """End a call of the server this command started, before it stops; the call's record."""
    try:
        client.end(call_id)
    except ControlError as error:
        if error.status != 409:  # 409: it ended on its own meanwhile
            raise
    return client.status(call_id)
