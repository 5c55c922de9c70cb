"""``callflow call``: place one call through the server and report how it ended."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from runner.builtin import MESSAGE_MODES, MessageCall, MessageCallError, message_call
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

HELP = "place one call, of a flow or of a message, and print its outcome (starts a server if none runs)"
DESCRIPTION = """\
Place one call of FLOW to --to through the webhook server, print its id, wait for it
to end and print what was said and how it ended.

Without a flow file, --message TEXT places a call to --to that says TEXT as written:
in --mode notify (the default) the bot then hangs up; in --mode conversation the
agent answers whoever is on the line (up to 10 turns), then the bot hangs up.
--dtmf-sequence sends digits as the call connects, before the message, to get through
a bridge or a menu: conversation calls only, as a notify call only says its message
and hangs up. 'callflow start' is another name for this command.

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
        "call",
        aliases=["start"],
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_flow_arguments(parser, optional_flow="or give --message")
    parser.add_argument("--to", metavar="NUMBER", help="the number to call (default: the flow's 'to')")
    parser.add_argument("--message", metavar="TEXT", help="call without a flow file and say TEXT")
    parser.add_argument(
        "--mode",
        choices=MESSAGE_MODES,
        help="with --message: hang up after it (notify, the default) or talk on",
    )
    parser.add_argument(
        "--dtmf-sequence", metavar="DIGITS", help="with --message: digits to send as the call connects"
    )
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
    message = _message_call_of(args)
    if message is None:
        flow_path, flow = args.flow, load_flow_or_fail(args.flow)
        flow_name, variables, to = flow.name, parse_vars(args.var), args.to
    else:
        # The built-in flow's file: a server started here loads it anyway, as every server does.
        flow_path, flow_name, variables, to = (
            message.flow_file,
            message.flow_name,
            message.variables,
            message.to,
        )
    config = load_config_or_fail(args)
    return place_and_report(
        args,
        config,
        flow_path,
        flow_name,
        variables,
        to,
        args.input,
        args.no_wait,
        allow_private_url=args.allow_private_url,
        mock_outcomes=mock_outcomes_from(args, config),
        message=message,
    )


def _message_call_of(args: argparse.Namespace) -> MessageCall | None:
    """The message call the arguments ask for; None for a call of FLOW."""
    if args.flow is not None and args.message is not None:
        raise UsageError("give a FLOW file or --message, not both")
    if args.flow is not None:
        if args.mode is not None or args.dtmf_sequence is not None:
            option = "--mode" if args.mode is not None else "--dtmf-sequence"
            raise UsageError(f"{option} goes with --message; a flow file sets its own")
        return None
    if args.message is None:
        raise UsageError("give a FLOW file to call, or --message TEXT (with --to) to call without one")
    if args.var:
        raise UsageError("--var gives a flow's inputs; a --message call has none")
    if args.to is None:
        raise UsageError("--message needs --to NUMBER, the number to call")
    try:
        return message_call(args.to, args.message, args.mode or "notify", args.dtmf_sequence)
    except MessageCallError as error:
        raise UsageError(str(error)) from None


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
    message: MessageCall | None = None,
) -> int:
    """Place one call through the server (started here if none runs) and print how it went.

    A server started here refuses a public_url no carrier can reach, as ``serve`` does,
    unless ``allow_private_url``; its mock carrier draws ``mock_outcomes``. A ``message``
    call is placed as one (the server picks the built-in flow), not as a call of the flow."""
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
            if message is None:
                placed = client.initiate(flow_name, variables, to=to, inputs=inputs)
            else:
                placed = client.initiate_message(
                    message.to, message.message, message.mode, message.dtmf_sequence, inputs=inputs
                )
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
