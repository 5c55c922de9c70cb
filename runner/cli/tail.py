"""``callflow tail``: the latest calls, one line each, and with --follow the ones to come."""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from runner.cli._data_dir import no_calls_yet, reading_store
from runner.cli._records import utc
from runner.cli._server_args import add_server_arguments, records_dir
from runner.service import ORPHANED, Owners, running_pid
from runner.store import Store
from runner.types import CallRecord, Direction

HELP = "print the latest calls, one line each (--follow: and every call saved after)"
DESCRIPTION = """\
Print the last N calls in the data folder, oldest first, one line each:

  TIME  ID  FLOW  DIRECTION  to|from NUMBER  STATE  PATH

TIME is when the call was created (UTC). STATE is where the call is (ringing,
listening...) or, once it is over, why it ended. PATH is the steps it went through.

A call not over that no server is running (its process was stopped, or killed)
shows "(no server is running it)": the next server started on this data folder
carries it on, or ends it as error "(left in flight by a process that stopped)"
when it cannot (its flow is not loaded there, or it is a mock call); 'callflow
end' ends it at once.

With --follow, keep watching: a call is printed again every time it is saved, so
its line shows it moving on. Ctrl-C stops."""

#: How often --follow looks for new saves, in seconds.
POLL_INTERVAL = 0.5


def _never() -> bool:
    return False


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "tail", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "-n",
        "--lines",
        type=_count,
        default=10,
        metavar="N",
        help="how many calls to print first (default 10)",
    )
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing calls as they are saved")
    # Stops --follow after SECONDS, so a test or a script can run it without Ctrl-C.
    parser.add_argument("--follow-for", type=float, metavar="SECONDS", help=argparse.SUPPRESS)
    add_server_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    data_dir = records_dir(args)
    if args.follow:
        until = _never if args.follow_for is None else _after(args.follow_for)
        return follow(data_dir, args.lines, until=until)
    with reading_store(data_dir) as store:
        if store is None or store.cursor() == 0:
            print(no_calls_yet(data_dir))
            return 0
        owners = Owners(data_dir)
        for record in reversed(store.recent(args.lines)):
            print(_line(store, owners, record))
    return 0


def follow(
    data_dir: Path, lines: int, *, poll_interval: float = POLL_INTERVAL, until: Callable[[], bool] = _never
) -> int:
    """Print the last ``lines`` calls, then each call as it is saved, until Ctrl-C or ``until()``.

    ``until`` is asked before each look, so calls saved before it turned true are printed.
    The data folder may be empty at first: the calls are printed once the store appears.
    """
    owners = Owners(data_dir)
    with contextlib.ExitStack() as stack:
        try:
            store = stack.enter_context(reading_store(data_dir))
            # The cursor before the listing: a call saved in between is printed twice
            # (in the listing and in the first look) rather than never.
            cursor = 0 if store is None else store.cursor()
            if cursor == 0:
                print(no_calls_yet(data_dir), flush=True)
            if store is not None:
                for record in reversed(store.recent(lines)):
                    print(_line(store, owners, record), flush=True)
            while True:
                done = until()
                if store is None:
                    store = stack.enter_context(reading_store(data_dir))
                if store is not None:
                    changed, cursor = store.changed_since(cursor)
                    for record in changed:
                        print(_line(store, owners, record), flush=True)
                if done:
                    return 0
                time.sleep(poll_interval)
        except KeyboardInterrupt:
            return 0


def _line(store: Store, owners: Owners, record: CallRecord) -> str:
    over = record.end_reason is not None
    return call_line(record, running=over or running_pid(store, owners, record.id) is not None)


def call_line(record: CallRecord, *, running: bool = True) -> str:
    """The call's line; ``running`` False: it is not over, and no process runs it."""
    if record.direction is Direction.INBOUND:
        party = f"from {record.from_number or '-'}"
    else:
        party = f"to {record.to_number or '-'}"
    state = str(record.end_reason or record.lifecycle)
    if not running:
        state += " (no server is running it)"
    elif record.error is not None and record.error.startswith(ORPHANED):
        state += f" ({ORPHANED})"
    path = " > ".join(record.path) or "-"
    fields = (utc(record.created_at), record.id, record.flow, record.direction, party, state, path)
    return "  ".join(fields)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, found {value}")
    return value


def _after(seconds: float) -> Callable[[], bool]:
    deadline = time.monotonic() + seconds
    return lambda: time.monotonic() >= deadline
