"""The ``callflow`` command line: a thin shell over the packages, with an exit-code contract.

``main(argv)`` returns the exit status instead of exiting, so tests run it in-process:
0 success, 1 the job found a failure (lint errors, say), 2 usage or unreadable input,
130 interrupted (Ctrl-C), as shells report a command that SIGINT stopped.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from runner.cli import (
    call,
    campaign,
    config,
    export,
    expose,
    graph,
    latency,
    lint,
    mcp,
    render,
    schema,
    serve,
    setup,
    simulate,
    smoke,
    status,
    steer,
    tail,
    test,
)
from runner.cli._base import ArgumentParser, CommandError, ParserExit

__all__ = ["main"]

#: The exit status of a command stopped by Ctrl-C: 128 + SIGINT, as shells report it.
INTERRUPTED = 130

_COMMANDS = (
    lint,
    graph,
    schema,
    simulate,
    test,
    render,
    tail,
    status,
    latency,
    export,
    config,
    setup,
    smoke,
    serve,
    expose,
    call,
    campaign,
    steer,
    mcp,
)


def _version() -> str:
    try:
        return version("callflow")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="callflow",
        description="Phone calls described as YAML: check, simulate and run them.",
        epilog="Run 'callflow COMMAND --help' for what each command does.",
    )
    parser.add_argument("--version", action="version", version=f"callflow {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in _COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        # Ctrl-C is the user's choice, not a crash: one line, no traceback.
        print("callflow: interrupted", file=sys.stderr)
        return INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except ParserExit as stop:
        return stop.status
    except CommandError as error:
        print(f"callflow: error: {error}", file=sys.stderr)
        return error.exit_code
    try:
        status: int = args.handler(args)
    except CommandError as error:
        print(f"callflow {args.command}: error: {error}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        # The reader had enough ('callflow export --jsonl | head'): its choice, not a failure.
        _discard_stdout()
        return 0
    return status


def _discard_stdout() -> None:
    """Point stdout at the null device, so Python's flush at exit does not hit the closed
    pipe again and print a traceback (the recipe in the docs of the signal module)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def run() -> None:
    """The console script's entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
