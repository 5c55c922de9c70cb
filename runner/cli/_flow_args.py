"""Arguments shared by the commands that run a flow: the flow file and ``--var``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flows import Data, Flow, FlowError, FlowInvalidError, load_flow
from runner.cli._base import UsageError
from runner.engine import InputError, bind_inputs


def add_flow_arguments(parser: argparse.ArgumentParser, *, optional_flow: str | None = None) -> None:
    """FLOW and --var; ``optional_flow``: FLOW may be left out, and its help says for what."""
    if optional_flow is None:
        parser.add_argument("flow", type=Path, metavar="FLOW", help="the flow file")
    else:
        flow_help = f"the flow file ({optional_flow})"
        parser.add_argument("flow", type=Path, nargs="?", metavar="FLOW", help=flow_help)
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a value for one of the flow's inputs (repeat for each input)",
    )


def load_flow_or_fail(path: Path) -> Flow:
    """The compiled flow; a usage error (exit 2) when it cannot be read or does not lint."""
    try:
        return load_flow(path)
    except FlowInvalidError as error:
        for problem in error.problems:
            print(problem.format(), file=sys.stderr)
        raise UsageError(str(error)) from None
    except FlowError as error:
        raise UsageError(str(error)) from None


def parse_vars(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name.strip():
            raise UsageError(f"--var takes NAME=VALUE, found '{pair}'")
        values[name.strip()] = value
    return values


def bound_inputs(flow: Flow, pairs: list[str]) -> dict[str, Data]:
    try:
        return bind_inputs(flow, parse_vars(pairs))
    except InputError as error:
        raise UsageError(str(error)) from None
