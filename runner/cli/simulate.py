"""``callflow simulate``: run a whole call offline against a scripted caller."""

from __future__ import annotations

import argparse
import json
import time

from runner.cli._agent_args import add_agent_arguments, agent_endpoint
from runner.cli._base import UsageError
from runner.cli._data_dir import save_record
from runner.cli._flow_args import add_flow_arguments, bound_inputs, load_flow_or_fail
from runner.cli._server_args import add_server_arguments, records_dir
from runner.cli._transcript import transcript
from runner.engine import FlowEngine, InputError
from runner.script import ScriptError, parse_inputs
from runner.simulate import simulate
from runner.types import CallRecord, EndReason

HELP = "run a call offline with a scripted caller and print what was said"
DESCRIPTION = """\
Run a whole call of FLOW offline on the built-in mock provider: no carrier, no
network. The caller follows the --input values in order:

  1, 42#        presses these keys (the gather's finishing key, # by default,
                ends the entry and is not part of last.digits)
  say:TEXT      says TEXT
  silence       says nothing until the gather times out
  wait:N        stays silent for N seconds of the simulated clock, through any
                gather timeouts, then goes on with the next input
  hangup        hangs up

When the inputs run out while the flow waits for the caller, the caller hangs up
(end reason hangup-user). Consult steps get the --agent-reply values in order, each
read as the server reads a model's reply: '{"spoken": "Hi"}' says Hi, and only the
spoken words of JSON wrapped in prose are said. When they run out, the agent at
--agent-url answers (its fallback line when it fails or is too slow); without one,
the agent does not answer and the step is done.

The call's record is kept in the data folder (--data-dir): see 'callflow tail',
'callflow status', 'callflow latency' and 'callflow export'.

exit status: 0 the call ran to an end, 1 the flow failed at run time (end reason
error), 2 bad arguments or inputs, or a flow that does not lint."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "simulate", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_flow_arguments(parser)
    parser.add_argument(
        "--input", action="append", default=[], metavar="X", help="the caller's next action (repeat)"
    )
    parser.add_argument(
        "--agent-reply", action="append", default=[], metavar="TEXT", help="the agent's next reply (repeat)"
    )
    add_agent_arguments(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object: flow, path, said, digits_sent, transfers, end_reason",
    )
    add_server_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    flow = load_flow_or_fail(args.flow)
    variables = bound_inputs(flow, args.var)
    try:
        script = parse_inputs(args.input)
    except ScriptError as error:
        raise UsageError(str(error)) from None
    agent = agent_endpoint(args)
    try:
        engine = FlowEngine(flow)
        record = simulate(engine, variables, script, args.agent_reply, agent=agent, start_time=time.time())
    except InputError as error:
        raise UsageError(str(error)) from None
    finally:
        if agent is not None:
            agent.close()
    save_record(records_dir(args), record)
    if args.json:
        print(json.dumps(summary(record), indent=2))
    else:
        print(transcript(record, "simulated"), end="")
    return 1 if record.end_reason is EndReason.ERROR else 0


def summary(record: CallRecord) -> dict[str, object]:
    return {
        "flow": record.flow,
        "call_id": record.id,
        "path": record.path,
        "said": record.said,
        "digits_sent": record.digits_sent,
        "transfers": record.transfers,
        "end_reason": record.end_reason.value if record.end_reason else None,
        "error": record.error,
    }
