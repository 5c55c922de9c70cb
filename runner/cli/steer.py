"""``callflow speak|continue|dtmf|end``: steer a live call through the running server."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from runner.cli._base import CommandError, UsageError
from runner.cli._server_args import add_server_arguments, connected_client
from runner.client import ControlClient, ControlError, ServerUnreachable

DTMF_CHARACTERS = frozenset("0123456789*#wWpP,")
EXIT_STATUS = (
    "exit status: 0 done, 1 no server is running or the call cannot be steered: unknown, already "
    "ended (alike in speak, continue, dtmf and end), run by another process, or (but for end) not "
    "answered yet; 2 the arguments are wrong or the config file cannot be read."
)

#: What each command did: a line for people and an object for --json.
Outcome = tuple[str, dict[str, Any]]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    speak = commands.add_parser(
        "speak",
        help="say a message into a live call now (in a consult step: the agent's reply)",
        description="Say TEXT into the live call now. In a consult step waiting for the agent, it is "
        "the agent's reply.",
    )
    speak.add_argument("text", metavar="TEXT")
    _common(speak, _speak)

    proceed = commands.add_parser(
        "continue",
        help="say a message and print the caller's reply",
        description="Say TEXT as the agent's turn, wait for what the caller says next and print it "
        "(nothing when the caller stays silent or the call moves on).",
    )
    proceed.add_argument("text", metavar="TEXT")
    proceed.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="default 30")
    _common(proceed, _continue)

    dtmf = commands.add_parser(
        "dtmf", help="send DTMF digits into a live call", description="Send DIGITS (0-9 * # w W p P ,) now."
    )
    dtmf.add_argument("digits", metavar="DIGITS")
    _common(dtmf, _dtmf)

    end = commands.add_parser(
        "end",
        help="hang up a live call",
        description="Hang up the call now (reason hangup-bot), whatever flows the server loads: a call "
        "left in flight by a server that stopped is ended too.",
    )
    _common(end, _end)


def _common(
    parser: argparse.ArgumentParser, action: Callable[[ControlClient, argparse.Namespace], Outcome]
) -> None:
    parser.add_argument(
        "--call-id", required=True, metavar="ID", help="the call, as 'call' or 'tail' print it"
    )
    parser.add_argument("--json", action="store_true", help="print what was done as one JSON object")
    add_server_arguments(parser)
    parser.epilog = EXIT_STATUS
    parser.set_defaults(handler=lambda args: _run(args, action))


def _run(args: argparse.Namespace, action: Callable[[ControlClient, argparse.Namespace], Outcome]) -> int:
    with connected_client(args) as client:
        try:
            line, data = action(client, args)
        except ControlError as error:
            raise (UsageError if error.status == 400 else CommandError)(str(error)) from None
        except ServerUnreachable as error:
            raise CommandError(str(error)) from None
    if args.json:
        print(json.dumps(data))
    elif line:
        print(line)
    return 0


def _speak(client: ControlClient, args: argparse.Namespace) -> Outcome:
    client.speak(args.call_id, args.text)
    return f"said into call {args.call_id}: {args.text}", {"id": args.call_id, "said": args.text}


def _continue(client: ControlClient, args: argparse.Namespace) -> Outcome:
    answer: dict[str, Any] = client.continue_call(args.call_id, args.text, args.timeout)
    heard = answer.get("heard")
    heard = heard if isinstance(heard, str) else None
    # The caller's words alone: a script reads them from the output as they are.
    return heard or "", {"id": args.call_id, "said": args.text, "heard": heard}


def _dtmf(client: ControlClient, args: argparse.Namespace) -> Outcome:
    if not args.digits or any(char not in DTMF_CHARACTERS for char in args.digits):
        raise UsageError(f"DIGITS takes 0-9 * # w W p P , only, found '{args.digits}'")
    client.dtmf(args.call_id, args.digits)
    return f"sent {args.digits} into call {args.call_id}", {"id": args.call_id, "digits": args.digits}


def _end(client: ControlClient, args: argparse.Namespace) -> Outcome:
    # The server answers an end of a call already over with its record, as ending it
    # again changes nothing; here it is an ended call steered, as in the other commands.
    before = client.status(args.call_id)
    if before["end_reason"] is not None:
        raise CommandError(f"call '{args.call_id}' cannot be steered: it has ended ({before['end_reason']})")
    record = client.end(args.call_id)
    line = f"call {record['id']} ended: {record['end_reason']}"
    if record.get("carrier_call_id"):
        line += f" (hung up on {record['provider']})"
    return line, {"id": record["id"], "end_reason": record["end_reason"]}
