"""``callflow campaign``: one notify flow called for every row of a CSV file of recipients."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from runner.campaigns import (
    DryRun,
    NotCampaignFlowError,
    NotifyScript,
    PhoneError,
    RecipientsFileError,
    check_recipients,
    read_recipients,
    region_code,
)
from runner.cli._base import UsageError
from runner.cli._config_arg import add_config_argument, load_config_or_fail
from runner.cli._flow_args import load_flow_or_fail
from runner.simulate import SPEECH_CHARS_PER_SECOND

HELP = "call every recipient of a CSV file with one notify flow (for now: check them, --dry-run)"
DESCRIPTION = """\
A campaign calls one notify flow once for every row of a CSV file: the header row
names the columns, each column fills the flow input of the same name.

  callflow campaign run FLOW RECIPIENTS.csv --dry-run   check every row, place no call

Dialing is not built yet: 'campaign run' needs --dry-run. See 'callflow campaign run
--help' for what is checked.

exit status: 0 every row is valid, 1 problems found (listed), 2 bad arguments, an
unreadable file, or a flow that does not lint or cannot run a campaign."""

RUN_HELP = "check every recipient before any call, and say what the campaign would do"
RUN_DESCRIPTION = """\
Check every row of RECIPIENTS.csv (UTF-8, with or without a BOM; a header row naming
the columns) against FLOW, a notify flow with a 'to', before any call:

  - every required input has a column (an extra column is a warning: it is ignored);
  - every cell fits its input's type and enum (an empty cell takes the default);
  - phone numbers (the flow's phone inputs, and the column 'to' reads) are valid
    and made E.164; a national number such as (415) 555-0123 needs --region;
  - no number is called twice (a duplicate is reported on its later line);
  - the flow's texts render with the row, within the carrier's limits (the
    provider of --config; the mock is held to Twilio's).

Cells are data: a cell holding {{ ... }} is spoken as written, and markup in a cell
is escaped in the carrier's document. Each problem is printed as
FILE:LINE: column NAME: MESSAGE, LINE being the line the row starts on.

No call is placed while a row is invalid, unless --skip-invalid leaves the invalid
rows out. With --dry-run (required for now: dialing is not built yet) it prints how
many calls, what the first calls say, the estimated duration at --cps calls a second
(the calls started, then the longest call's speech), and the longest message.

exit status: 0 every row is valid (or, with --skip-invalid, some row is), 1 problems
found (listed), 2 bad arguments, an unreadable file, or a flow that does not lint
or cannot run a campaign."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "campaign", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    run_parser = actions.add_parser(
        "run",
        help=RUN_HELP,
        description=RUN_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run_parser.add_argument("flow", type=Path, metavar="FLOW", help="the notify flow file")
    run_parser.add_argument(
        "recipients", type=Path, metavar="RECIPIENTS.csv", help="the recipients, one a row"
    )
    run_parser.add_argument(
        "--dry-run", action="store_true", help="check the recipients and print the plan; place no call"
    )
    run_parser.add_argument(
        "--region", metavar="CC", help="the country of numbers written without one, as US or GB"
    )
    add_config_argument(run_parser)
    run_parser.add_argument(
        "--cps", type=_positive, default=1.0, metavar="N", help="calls started a second (default: 1)"
    )
    run_parser.add_argument(
        "--skip-invalid", action="store_true", help="leave invalid rows out instead of placing no call"
    )
    run_parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    run_parser.set_defaults(handler=run)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of calls a second, found '{text}'") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected more than 0 calls a second, found '{text}'")
    return value


def run(args: argparse.Namespace) -> int:
    if not args.dry_run:
        raise UsageError(
            "dialing campaigns is not built yet; use --dry-run to check the recipients and see the plan"
        )
    try:
        region = None if args.region is None else region_code(args.region)
    except PhoneError as error:
        raise UsageError(f"--region: {error}") from None
    config = load_config_or_fail(args)
    flow = load_flow_or_fail(args.flow)
    try:
        script = NotifyScript(flow, config.provider)
        table = read_recipients(args.recipients)
    except (NotCampaignFlowError, RecipientsFileError) as error:
        raise UsageError(str(error)) from None
    check = check_recipients(table, script, region=region)
    dry_run = DryRun(check, args.skip_invalid, args.cps, SPEECH_CHARS_PER_SECOND)
    if args.json:
        print(json.dumps(dry_run.as_json(), indent=2, ensure_ascii=False))
    else:
        for problem in check.problems:
            print(problem.format())
        print(dry_run.format(), end="")
    if check.errors and (dry_run.blocked or dry_run.calls == 0):
        return 1
    return 0
