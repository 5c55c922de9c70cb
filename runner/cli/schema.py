"""``callflow schema``: print the flow format's JSON Schema."""

from __future__ import annotations

import argparse
import json

from flows import flow_schema

HELP = "print the JSON Schema of flow files (for editors and other tools)"
EXIT_STATUS = "exit status: 0 printed, 2 the arguments are wrong."


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "schema",
        help=HELP,
        description=f"{HELP}.\n\n{EXIT_STATUS}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(flow_schema(), indent=2))
    return 0
