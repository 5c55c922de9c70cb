"""``callflow campaign``: one notify flow called for every row of a CSV file of recipients."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from runner.campaigns import (
    CallingWindow,
    CampaignCheck,
    DryRun,
    NotCampaignFlowError,
    NotifyScript,
    PhoneError,
    RecipientsFileError,
    RunOptions,
    WindowError,
    check_recipients,
    read_recipients,
    region_code,
)
from runner.cli._base import UsageError
from runner.cli._campaign_report import cancel, report
from runner.cli._campaign_run import dial
from runner.cli._campaign_status import list_campaigns, status
from runner.cli._config_arg import load_config_or_fail
from runner.cli._flow_args import load_flow_or_fail
from runner.cli._mock_args import add_mock_outcome_arguments, mock_outcomes_from
from runner.cli._server_args import add_server_arguments, data_dir_for
from runner.simulate import SPEECH_CHARS_PER_SECOND

RAW = argparse.RawDescriptionHelpFormatter
#: How a campaign dials unless told otherwise: the same for the CLI and the control API.
DEFAULTS = RunOptions()

HELP = "call every recipient of a CSV file with one notify flow: run, status, list, report, cancel"
DESCRIPTION = """\
A campaign calls one notify flow once for every row of a CSV file: the header row
names the columns, each column fills the flow input of the same name.

  callflow campaign run FLOW RECIPIENTS.csv --dry-run   check every row, place no call
  callflow campaign run FLOW RECIPIENTS.csv             check, then call every row
  callflow campaign status NAME                         where a campaign stands
  callflow campaign list                                every campaign, a line each
  callflow campaign report NAME --out FILE.csv          every recipient and how it ended
  callflow campaign cancel NAME                         stop dialing a campaign

See 'callflow campaign ACTION --help' for each.

exit status: 0 done, 1 problems found or calls left unsettled, 2 bad arguments or
input, 130 Ctrl-C; each action's --help says what each means for it."""

RUN_HELP = "check every recipient before any call, then call them (or, with --dry-run, say what it would do)"
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
rows out (the campaign keeps them as 'invalid'). With --dry-run it prints how many
calls, what the first calls say, the estimated duration at --cps calls a second (the
calls started, then the longest call's speech), and the longest message.

Without --dry-run the campaign NAME (default: the recipients file's name without its
extension) is kept in the data folder's store, and dialled through a server this
command starts for the campaign's life (none may run for this data folder yet): at
most --cps calls started a second and --concurrency in flight; a busy, unanswered or
failed call is tried again after --retry-delay seconds, doubled each attempt (with
jitter), up to --max-attempts. On a terminal a progress bar shows on stderr; at the
end a summary goes to stdout (--json: one JSON object). The same command again
resumes the campaign, never calling twice a recipient whose call was placed; a
recipients file changed since the campaign started is refused. Ctrl-C stops
dialing, lets the calls in flight finish, and leaves the campaign resumable.

exit status: 0 every row is valid (dry run) or every recipient reached a final
outcome, whatever it was; 1 invalid rows (none called), or calls left unsettled;
2 bad arguments, an unreadable file, a flow that does not lint or cannot run a
campaign, a recipients file changed since the campaign started, or a server already
running; 130 Ctrl-C (the campaign is resumable)."""

STATUS_HELP = "where a campaign stands: its state, recipients by status and outcome"
STATUS_DESCRIPTION = """\
Show campaign NAME as the data folder's store keeps it: its state (running, done,
cancelled), its recipients by status (pending, dialing, retry-wait, done, invalid) and
by final outcome, and when the next retry is due.

exit status: 0 shown, 2 no campaign of that name (the known ones are listed) or an
unreadable store."""

LIST_HELP = "every campaign with its state and counts, one a line"
LIST_DESCRIPTION = """\
List every campaign of the data folder's store, oldest first: its name, state, how many
recipients are settled (done or invalid) of how many, and the final outcomes so far.

exit status: 0 listed, 2 an unreadable store."""

REPORT_HELP = "every recipient of a campaign as CSV: the input columns, outcome, attempts, call ids"
REPORT_DESCRIPTION = """\
Write campaign NAME's recipients as CSV, one row each in the recipients file's line
order: the input columns, then outcome, attempts, call_ids (space-separated),
duration (seconds), answered_by and status. To stdout, or to --out FILE.csv (then one
line on stdout says how many rows went where).

A cell that starts with =, +, - or @ (a spreadsheet would run it as a formula) is
written with a leading single quote, unless it is a plain number such as +14155550100.

exit status: 0 written, 2 no campaign of that name (the known ones are listed), an
unreadable store or an --out file that cannot be written."""

CANCEL_HELP = "stop dialing a campaign: no new call is placed; calls in flight finish"
CANCEL_DESCRIPTION = """\
Cancel campaign NAME in the data folder's store. A 'campaign run' dialing it stops at
its next claim: it places no new call, and lets the calls in flight finish. A
cancelled campaign is not dialled again.

exit status: 0 cancelled (or already cancelled), 1 the campaign is done: nothing to
cancel, 2 no campaign of that name (the known ones are listed) or an unreadable store."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "campaign", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    _add_run_parser(actions)
    status_parser = actions.add_parser(
        "status", help=STATUS_HELP, description=STATUS_DESCRIPTION, formatter_class=RAW
    )
    status_parser.add_argument("name", metavar="NAME", help="the campaign's name")
    add_server_arguments(status_parser)
    status_parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    status_parser.set_defaults(handler=status)
    list_parser = actions.add_parser(
        "list", help=LIST_HELP, description=LIST_DESCRIPTION, formatter_class=RAW
    )
    add_server_arguments(list_parser)
    list_parser.add_argument("--json", action="store_true", help="print a JSON list instead of lines")
    list_parser.set_defaults(handler=list_campaigns)
    report_parser = actions.add_parser(
        "report", help=REPORT_HELP, description=REPORT_DESCRIPTION, formatter_class=RAW
    )
    report_parser.add_argument("name", metavar="NAME", help="the campaign's name")
    report_parser.add_argument(
        "--out", type=Path, metavar="FILE.csv", help="the file to write (default: stdout)"
    )
    add_server_arguments(report_parser)
    report_parser.set_defaults(handler=report)
    cancel_parser = actions.add_parser(
        "cancel", help=CANCEL_HELP, description=CANCEL_DESCRIPTION, formatter_class=RAW
    )
    cancel_parser.add_argument("name", metavar="NAME", help="the campaign's name")
    add_server_arguments(cancel_parser)
    cancel_parser.set_defaults(handler=cancel)


def _add_run_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run_parser = actions.add_parser("run", help=RUN_HELP, description=RUN_DESCRIPTION, formatter_class=RAW)
    run_parser.add_argument("flow", type=Path, metavar="FLOW", help="the notify flow file")
    run_parser.add_argument(
        "recipients", type=Path, metavar="RECIPIENTS.csv", help="the recipients, one a row"
    )
    run_parser.add_argument(
        "--dry-run", action="store_true", help="check the recipients and print the plan; place no call"
    )
    run_parser.add_argument(
        "--name", help="the campaign's name, to resume it or see its status (default: the file's stem)"
    )
    run_parser.add_argument(
        "--region", metavar="CC", help="the country of numbers written without one, as US or GB"
    )
    add_server_arguments(run_parser)
    run_parser.add_argument(
        "--cps",
        type=_positive,
        default=float(DEFAULTS.cps or 1),
        metavar="N",
        help=f"calls started a second (default: {DEFAULTS.cps})",
    )
    run_parser.add_argument(
        "--concurrency",
        type=_whole,
        default=DEFAULTS.concurrency,
        metavar="N",
        help=f"calls in flight at most (default: {DEFAULTS.concurrency})",
    )
    run_parser.add_argument(
        "--max-attempts",
        type=_whole,
        default=DEFAULTS.max_attempts,
        metavar="N",
        help=f"calls to one recipient at most (default: {DEFAULTS.max_attempts})",
    )
    run_parser.add_argument(
        "--retry-delay",
        type=_delay,
        default=DEFAULTS.retry_base_delay,
        metavar="SECONDS",
        help=f"wait before the first retry, doubled each time (default: {DEFAULTS.retry_base_delay:g})",
    )
    run_parser.add_argument(
        "--window",
        type=_window,
        metavar="HH:MM-HH:MM",
        help="call only between these times in each recipient's local time (default: any time)",
    )
    run_parser.add_argument(
        "--skip-invalid", action="store_true", help="leave invalid rows out instead of placing no call"
    )
    add_mock_outcome_arguments(run_parser)
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


def _window(text: str) -> CallingWindow:
    try:
        return CallingWindow.parse(text)
    except WindowError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _whole(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, found '{text}'")
    return value


def _delay(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, found '{text}'") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected 0 seconds or more, found '{text}'")
    return value


def run(args: argparse.Namespace) -> int:
    try:
        region = None if args.region is None else region_code(args.region)
    except PhoneError as error:
        raise UsageError(f"--region: {error}") from None
    config = load_config_or_fail(args)
    mock_outcomes = None if args.dry_run else mock_outcomes_from(args, config)
    if not args.dry_run and args.cps != int(args.cps):
        raise UsageError(f"--cps: dialing paces whole calls a second (1 or more), not {args.cps:g}")
    flow = load_flow_or_fail(args.flow)
    try:
        script = NotifyScript(flow, config.provider)
        table = read_recipients(args.recipients)
    except (NotCampaignFlowError, RecipientsFileError) as error:
        raise UsageError(str(error)) from None
    check = check_recipients(table, script, region=region)
    dry_run = DryRun(check, args.skip_invalid, args.cps, SPEECH_CHARS_PER_SECOND)
    blocked = bool(check.errors) and (dry_run.blocked or dry_run.calls == 0)
    if args.dry_run or blocked:
        _print_dry_run(check, dry_run, args.window, json_output=args.json)
        return 1 if blocked else 0
    launch = {
        "flow": flow.name,
        "recipients": str(args.recipients.resolve()),
        "name": args.name or args.recipients.stem,
        "region": region,
        "skip_invalid": args.skip_invalid,
        "cps": int(args.cps),
        "concurrency": args.concurrency,
        "max_attempts": args.max_attempts,
        "retry_delay": args.retry_delay,
        "seed": args.seed,
        "window": None if args.window is None else str(args.window),
    }
    data_dir = data_dir_for(args, config)
    return dial(config, data_dir, args.flow, launch, mock_outcomes, json_output=args.json)


def _print_dry_run(
    check: CampaignCheck, dry_run: DryRun, window: CallingWindow | None, *, json_output: bool
) -> None:
    if json_output:
        shown = dry_run.as_json() | ({} if window is None else {"window": str(window)})
        print(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    for problem in check.problems:
        print(problem.format())
    print(dry_run.format(), end="")
    if window is not None and not dry_run.blocked:
        print(
            f"calling window: {window} in each recipient's local time; a recipient outside it waits "
            "for it (the estimate leaves the waits out)"
        )
