"""``callflow render``: the document a carrier would get at a step of a flow."""

from __future__ import annotations

import argparse
from urllib.parse import urlencode

from flows import did_you_mean
from runner.cli._base import CommandError, UsageError
from runner.cli._flow_args import add_flow_arguments, bound_inputs, load_flow_or_fail
from runner.dialects import PROVIDERS, DialectError, dtmf_then_redirect, render
from runner.engine import FlowEngine
from runner.types import Answered, Direction, SendDigits

HELP = "print the XML a carrier would get at a step (TwiML, Plivo XML or TeXML)"
DESCRIPTION = """\
Print the document the carrier would fetch at a step of FLOW: the first one (when the
call is answered) by default, or the one for --step ID. A flow with a dtmf_sequence
starts with the pre-connect document: the digits, then a redirect back to the webhook.
The URLs in it carry the call id 'preview' and a fixed turn token (--turn-token), so
the same flow prints the same document on every run.

exit status: 0 printed, 1 the document cannot be made (a template fails, or a text
breaks the carrier's limits), 2 bad arguments or a flow that does not lint."""

PREVIEW_CALL_ID = "preview"
PREVIEW_TURN_TOKEN = "preview"
DEFAULT_WEBHOOK_URL = "http://127.0.0.1:3334/voice/webhook"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "render", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_flow_arguments(parser)
    parser.add_argument("--step", metavar="ID", help="the step to render (default: the first document)")
    parser.add_argument(
        "--provider", choices=PROVIDERS, default="twilio", help="the dialect (default: twilio)"
    )
    parser.add_argument(
        "--webhook-url",
        default=DEFAULT_WEBHOOK_URL,
        metavar="URL",
        help=f"the webhook the document points back to (default: {DEFAULT_WEBHOOK_URL})",
    )
    parser.add_argument(
        "--turn-token",
        default=PREVIEW_TURN_TOKEN,
        metavar="TOKEN",
        help=f"the turn token in the answer's URL (default: {PREVIEW_TURN_TOKEN}; a live call's are random)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    flow = load_flow_or_fail(args.flow)
    variables = bound_inputs(flow, args.var)
    if args.step is not None and args.step not in flow.steps:
        steps = ", ".join(flow.steps) or "none"
        raise UsageError(
            f"flow '{flow.name}' has no step '{args.step}'{did_you_mean(args.step, flow.steps)} "
            f"(steps: {steps})"
        )
    engine = FlowEngine(flow, new_token=lambda: args.turn_token)
    call = engine.new_call(
        call_id=PREVIEW_CALL_ID,
        variables=variables,
        now=0.0,
        provider=args.provider,
        direction=Direction.OUTBOUND if flow.to is not None else Direction.INBOUND,
    )
    if args.step is None:
        actions = engine.handle(call, Answered(id="answered", at=0.0))
    else:
        actions = engine.preview(call, args.step, 0.0)
    engine.release(call)
    if call.record.error:
        raise CommandError(call.record.error)
    try:
        if args.step is None and actions and isinstance(actions[0], SendDigits):
            query = urlencode({"call_id": PREVIEW_CALL_ID, "event": "connected"})
            document = dtmf_then_redirect(args.provider, actions[0].digits, f"{args.webhook_url}?{query}")
        else:
            document = render(args.provider, actions, webhook_url=args.webhook_url, call_id=PREVIEW_CALL_ID)
    except DialectError as error:
        raise CommandError(str(error)) from None
    print(document, end="" if document.endswith("\n") else "\n")
    return 0
