"""``callflow schema``: print the flow format's JSON Schema."""

from __future__ import annotations

import argparse
import json

from flows import flow_schema

HELP = "print the JSON Schema of flow files (for editors and other tools)"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("schema", help=HELP, description=HELP)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(flow_schema(), indent=2))
    return 0
