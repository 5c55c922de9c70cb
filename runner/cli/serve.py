"""``callflow serve``: the webhook server for real (or mock) calls."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import socket
import sys
from contextlib import ExitStack
from pathlib import Path

from runner.cli._base import CommandError, UsageError
from runner.cli._config_arg import load_config_or_fail
from runner.cli._mock_args import add_mock_outcome_arguments, mock_outcomes_from
from runner.cli._server_args import (
    add_allow_private_url_argument,
    add_server_arguments,
    data_dir_for,
    refuse_unreachable_public_url,
)
from runner.cli.expose import add_with_argument, print_addresses, tunnel_or_fail
from runner.config import Config
from runner.providers import ProviderError
from runner.providers.mock_outcomes import MockOutcomes
from runner.server import ServerSetupError, bind, build_server, serve_foreground

HELP = "run the webhook server: carriers call it, the control API steers calls"
DESCRIPTION = """\
Start the webhook server (Starlette on uvicorn) as the config says: by default on
127.0.0.1:3334 with the voice webhook at /voice/webhook, the offline mock provider,
and call records in the data folder. Routes: the voice webhook, /healthz, /metrics
(Prometheus) and the control API under /api (loopback only; bearer token in the data
folder's control.token).

Flows in the config are compiled once at start; one that does not lint clean stops
start-up with the lint output, as does a value in them the carrier cannot take at all
(see 'callflow lint --provider'); a value it takes only in a narrower range is sent
as the nearest one it accepts, with a warning at start-up.

For a carrier other than mock, a public_url that is not set, or that names this
machine or a private network, stops start-up too (no carrier could reach it), unless
--allow-private-url is given. --expose opens a tunnel instead (as 'callflow expose'
does, --with picks the tool) for the life of the server and uses its address as
public_url.

Ctrl-C or SIGTERM lets requests in flight finish, then exits (status 0); a request
that waits on a call (the control API's wait or continue, a webhook waiting for the
agent's reply) is answered at once with 503 "the server is shutting down"."""
EXIT_STATUS = """\
exit status: 0 stopped, 1 cannot listen on the address or the tunnel of --expose
failed, 2 the config file cannot be read or is invalid, a flow in it does not lint
clean or the carrier cannot take it, no tunnel tool is installed, or the arguments
are wrong."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "serve",
        help=HELP,
        description=f"{DESCRIPTION}\n\n{EXIT_STATUS}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_server_arguments(parser)
    add_allow_private_url_argument(parser)
    parser.add_argument(
        "--expose",
        action="store_true",
        help="open a tunnel for the life of the server and use its address as public_url "
        "(see 'callflow expose')",
    )
    add_with_argument(parser)
    add_mock_outcome_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config = load_config_or_fail(args)
    data_dir = data_dir_for(args, config)
    mock_outcomes = mock_outcomes_from(args, config)
    if args.tunnel_tool is not None and not args.expose:
        raise UsageError("--with names the tunnel tool of --expose; pass --expose too")
    if not args.expose:
        refuse_unreachable_public_url(config, args.allow_private_url)
    try:
        sock = bind(config.serve.bind, config.serve.port)
    except OSError as error:
        raise CommandError(
            f"cannot listen on {config.serve.bind}:{config.serve.port}: {error.strerror}"
        ) from None
    with ExitStack() as tunnel:
        tunnel.callback(sock.close)
        if args.expose:
            port = sock.getsockname()[1]
            opened = tunnel.enter_context(tunnel_or_fail(port, args.tunnel_tool))
            print_addresses(opened, config, port)
            config = dataclasses.replace(config, public_url=opened.public_url)
        return _serve(config, data_dir, sock, mock_outcomes)


def _serve(config: Config, data_dir: Path, sock: socket.socket, mock_outcomes: MockOutcomes | None) -> int:
    try:
        parts = build_server(config, data_dir, sock.getsockname()[1], mock_outcomes=mock_outcomes)
    except ServerSetupError as error:
        sock.close()
        for line in error.details:
            print(line, file=sys.stderr)
        raise UsageError(str(error)) from None
    except ProviderError as error:
        sock.close()
        raise UsageError(str(error)) from None
    for line in parts.warnings:
        print(line, file=sys.stderr)
    if config.webhook_security.skip_signature_verification:
        print("warning: webhook signature verification is OFF: anyone can drive calls", file=sys.stderr)
    # Warnings (a refused webhook, a carrier that could not be reached) with their time.
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    where = f"webhook {config.serve.path}, provider {parts.provider.name}, data {data_dir}"
    print(f"callflow serving on {parts.local_url} ({where}); Ctrl-C stops", flush=True)
    serve_foreground(parts.app, sock, on_stopping=parts.service.refuse_waits)
    return 0
