"""What the commands that talk to the server share: its address, its token, its data folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from runner.cli._base import CommandError
from runner.cli._config_arg import add_config_argument, load_config_or_fail
from runner.cli._data_dir import add_data_dir_argument
from runner.client import ControlClient
from runner.config import Config
from runner.server import read_control_token
from runner.store import resolve_data_dir


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_argument(parser)
    add_data_dir_argument(parser)


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
