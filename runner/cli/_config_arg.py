"""The ``--config`` option, and the config as every command that needs one loads it."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from runner.cli._base import UsageError
from runner.config import (
    CONFIG_ENV,
    DEFAULT_CONFIG_FILE,
    Config,
    ConfigError,
    ConfigInvalidError,
    load_config,
)


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help=f"the config file (default: ${CONFIG_ENV} if set, else ./{DEFAULT_CONFIG_FILE} "
        "if it exists, else the defaults: the offline mock provider)",
    )


def load_config_or_fail(args: argparse.Namespace) -> Config:
    """The config ``--config`` (or the default search) names, read with this process's
    environment. A file that cannot be read or is invalid is a usage error (exit 2),
    with each problem printed to stderr first, as lint prints them."""
    try:
        return load_config(args.config, os.environ)
    except ConfigInvalidError as error:
        for problem in error.problems:
            print(problem.format(), file=sys.stderr)
        raise UsageError(str(error)) from None
    except ConfigError as error:
        raise UsageError(str(error)) from None
