"""What the commands that talk to the server share: its address, its token, its data folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from runner.cli._base import CommandError, UsageError
from runner.cli._config_arg import add_config_argument, load_config_or_fail
from runner.cli._data_dir import add_data_dir_argument
from runner.client import ControlClient
from runner.config import Config, public_url_problem
from runner.server import read_control_token
from runner.store import resolve_data_dir


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_argument(parser)
    add_data_dir_argument(parser)


def add_allow_private_url_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-private-url",
        action="store_true",
        help="serve a carrier even when public_url is not set or names this machine or a private "
        "network (tests, or a carrier that reaches this network)",
    )


def refuse_unreachable_public_url(config: Config, allowed: bool) -> None:
    """UsageError when the carrier could never reach the webhook of a server started here:
    its calls would ring and then fail with nothing in the server's log to say why."""
    problem = public_url_problem(config)
    if problem is not None and not allowed:
        raise UsageError(
            f"{problem}; to serve anyway (a test, or a carrier on this network), pass --allow-private-url"
        )


def records_dir(args: argparse.Namespace) -> Path:
    """The data folder of a command that reads or writes records: ``--data-dir``, else
    the config's ``data_dir``, else $CALLFLOW_DATA_DIR, else .callflow/."""
    return data_dir_for(args, load_config_or_fail(args))


def data_dir_for(args: argparse.Namespace, config: Config) -> Path:
    """``--data-dir``, else the config's data_dir, else $CALLFLOW_DATA_DIR, else .callflow/."""
    if args.data_dir is None and config.data_dir is not None:
        return config.data_dir
    return resolve_data_dir(args.data_dir)


def control_url(config: Config) -> str:
    host = config.serve.bind
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"  # the control API answers on loopback only
    return f"http://{f'[{host}]' if ':' in host else host}:{config.serve.port}"


def connected_client(args: argparse.Namespace) -> ControlClient:
    """A client of the running server; CommandError when none runs."""
    config = load_config_or_fail(args)
    data_dir = data_dir_for(args, config)
    url = control_url(config)
    token = read_control_token(data_dir)
    client = ControlClient(url, token or "")
    if token is None or not client.is_callflow():
        client.close()
        raise CommandError(
            f"no callflow server is running at {url} with the data folder {data_dir}; "
            "start one with 'callflow serve'"
        )
    return client
