"""``callflow graph``: a flow as a Mermaid flowchart."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flows import FlowError, Severity, lint_document, load_document, mermaid
from runner.cli._base import CommandError, UsageError

HELP = "print a flow as a Mermaid flowchart (steps and transitions)"
DESCRIPTION = """\
Print a Mermaid 'flowchart' of a flow: one node per step, one edge per transition,
labelled with its 'on' key. Paste it into any Markdown viewer that renders Mermaid.
A flow with lint errors is not drawn: its problems are printed instead (exit 1)."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("graph", help=HELP, description=DESCRIPTION)
    parser.add_argument("flow", type=Path, metavar="FLOW", help="the flow file")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        document, load_problems = load_document(args.flow)
    except FlowError as error:
        raise UsageError(str(error)) from None
    errors = [p for p in lint_document(document, load_problems) if p.severity is Severity.ERROR]
    if errors:
        for problem in errors:
            print(problem.format(), file=sys.stderr)
        raise CommandError(f"{args.flow} has {len(errors)} lint error(s); fix them first ('callflow lint')")
    sys.stdout.write(mermaid(document))
    return 0
