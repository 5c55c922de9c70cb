"""A server a command starts for itself (``call``, ``campaign run``) when none runs."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from runner.cli._base import CommandError, UsageError
from runner.cli._server_args import control_url, refuse_unreachable_public_url
from runner.client import ControlClient
from runner.config import Config
from runner.providers import ProviderError
from runner.providers.mock_outcomes import MockOutcomes
from runner.server import (
    BackgroundServer,
    ServerParts,
    ServerSetupError,
    bind,
    build_server,
    read_control_token,
)


@contextlib.contextmanager
def own_server(
    config: Config,
    data_dir: Path,
    flow_path: Path,
    *,
    allow_private_url: bool,
    mock_outcomes: MockOutcomes | None,
    port_taken_note: str = "",
) -> Iterator[tuple[BackgroundServer, ServerParts]]:
    """A server on the config's address with ``flow_path`` loaded, running until the
    block ends and then until its calls are over.

    It refuses a public_url no carrier can reach, as ``serve`` does, unless
    ``allow_private_url``; its mock carrier draws ``mock_outcomes``. ``port_taken_note``
    ends the message when the address is taken."""
    refuse_unreachable_public_url(config, allow_private_url)
    try:
        sock = bind(config.serve.bind, config.serve.port)
    except OSError as error:
        raise CommandError(
            f"cannot start a server on {config.serve.bind}:{config.serve.port} ({error.strerror})"
            + port_taken_note
        ) from None
    try:
        parts = build_server(
            config, data_dir, sock.getsockname()[1], extra_flows=[flow_path], mock_outcomes=mock_outcomes
        )
    except (ServerSetupError, ProviderError) as error:
        sock.close()
        for line in getattr(error, "details", []):
            print(line, file=sys.stderr)
        raise UsageError(str(error)) from None
    server = BackgroundServer(parts.app, sock).start()
    try:
        yield server, parts
        # Calls others placed through this server meanwhile, and the mock carrier's last
        # status callbacks, still need it.
        while parts.service.calls_in_flight or not getattr(parts.provider, "idle", True):
            time.sleep(0.05)
    finally:
        server.stop()


@contextlib.contextmanager
def server_client(
    config: Config,
    data_dir: Path,
    flow_path: Path,
    *,
    allow_private_url: bool,
    mock_outcomes: MockOutcomes | None,
    needs_running: str | None = None,
) -> Iterator[tuple[ControlClient, bool]]:
    """A client of the server running for ``data_dir``, or of one started here (see
    ``own_server``) until its calls are over; and whether it was started here.

    ``needs_running``: the usage error to raise when no server runs (the work would not
    outlive this command)."""
    url = control_url(config)
    token = read_control_token(data_dir)
    if token is not None:
        with ControlClient(url, token) as client:
            if client.is_callflow():
                if mock_outcomes is not None:
                    raise UsageError(
                        "--mock-outcomes shapes the mock carrier of a server this command starts, and "
                        "one is running already: give it to 'callflow serve'"
                    )
                yield client, False
                return
    if needs_running is not None:
        raise UsageError(needs_running)
    taken = ", and no callflow server with this data folder answers there"
    with (
        own_server(
            config,
            data_dir,
            flow_path,
            allow_private_url=allow_private_url,
            mock_outcomes=mock_outcomes,
            port_taken_note=taken,
        ),
        ControlClient(url, read_control_token(data_dir) or "") as client,
    ):
        yield client, True
