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

    end = commands.add_parser("end", help="hang up a live call", description="Hang up the call now.")
    _common(end, _end)


def _common(
    parser: argparse.ArgumentParser, action: Callable[[ControlClient, argparse.Namespace], str]
) -> None:
    parser.add_argument(
        "--call-id", required=True, metavar="ID", help="the call, as 'call' or 'tail' print it"
    )
    add_server_arguments(parser)
    parser.set_defaults(handler=lambda args: _run(args, action))


def _run(args: argparse.Namespace, action: Callable[[ControlClient, argparse.Namespace], str]) -> int:
    with connected_client(args) as client:
        try:
            output = action(client, args)
        except ControlError as error:
            raise (UsageError if error.status == 400 else CommandError)(str(error)) from None
        except ServerUnreachable as error:
            raise CommandError(str(error)) from None
    if output:
        print(output)
    return 0


def _speak(client: ControlClient, args: argparse.Namespace) -> str:
    client.speak(args.call_id, args.text)
    return ""


def _continue(client: ControlClient, args: argparse.Namespace) -> str:
    answer: dict[str, Any] = client.continue_call(args.call_id, args.text, args.timeout)
    heard = answer.get("heard")
    return heard if isinstance(heard, str) else ""


def _dtmf(client: ControlClient, args: argparse.Namespace) -> str:
    if not args.digits or any(char not in DTMF_CHARACTERS for char in args.digits):
        raise UsageError(f"DIGITS takes 0-9 * # w W p P , only, found '{args.digits}'")
    client.dtmf(args.call_id, args.digits)
    return ""


def _end(client: ControlClient, args: argparse.Namespace) -> str:
    record = client.end(args.call_id)
    return json.dumps({"id": record["id"], "end_reason": record["end_reason"]})
