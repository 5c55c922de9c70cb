"""``callflow config``: look at the configuration (``config show``; more to come)."""

from __future__ import annotations

import argparse
import dataclasses
import io
import json

from ruamel.yaml import YAML

from runner.cli._config_arg import load_config_or_fail
from runner.cli._server_args import add_server_arguments, data_dir_for
from runner.config import Config, redacted

HELP = "look at the configuration: 'config show' prints the effective config"
SHOW_HELP = "print the effective config, with every secret shown as ***"
SHOW_DESCRIPTION = """\
Print the config the other commands would use: the file's values, ${NAME} references
filled in from the environment, credentials taken from their environment variables
(TWILIO_AUTH_TOKEN and so on) where the file leaves them out, and the defaults for the
rest, with paths made absolute. A secret is printed as *** when it is set and null when
it is not: never its value. data_dir is the folder every command keeps call records in:
--data-dir, else the config's data_dir, else $CALLFLOW_DATA_DIR, else ./.callflow.

exit status: 0 printed, 2 the config file cannot be read or is invalid (each problem is
printed as FILE:LINE:COLUMN: error: MESSAGE [RULE])."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("config", help=HELP, description=HELP)
    # An action below 'config' (show now; check and others later), as git's 'remote add'.
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show",
        help=SHOW_HELP,
        description=SHOW_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_server_arguments(show)
    show.add_argument("--json", action="store_true", help="print JSON instead of YAML")
    show.set_defaults(handler=run_show)


def run_show(args: argparse.Namespace) -> int:
    config = load_config_or_fail(args)
    config = dataclasses.replace(config, data_dir=data_dir_for(args, config).absolute())
    if args.json:
        print(json.dumps(redacted(config), indent=2, ensure_ascii=False))
    else:
        print(_header(config) + _yaml(redacted(config)), end="")
    return 0


def _header(config: Config) -> str:
    if config.source is None:
        return "# no config file: the defaults and the environment\n"
    return f"# effective config from {config.source}\n"


def _yaml(data: object) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    # A long path (data_dir, flows) stays on one line, where a reader looks for it.
    yaml.width = 4096
    # Keep the schema's key order; ruamel's stubs type this switch as None only.
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()
