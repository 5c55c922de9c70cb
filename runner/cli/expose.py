"""``callflow expose``: a public HTTPS address for the server, from a tunnel tool."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from runner.cli._base import CommandError, UsageError
from runner.cli._config_arg import add_config_argument, load_config_or_fail
from runner.config import Config, public_base
from runner.tunnels import TOOLS, NoTunnelToolError, Tunnel, TunnelError, open_tunnel

HELP = "open a tunnel (cloudflared, ngrok or tailscale) so carriers can reach the server"
DESCRIPTION = """\
Start the first tunnel tool found on PATH (cloudflared, then ngrok, then tailscale in
funnel mode; --with picks one) in front of the server's port (the config's serve.port,
default 3334, or --port), wait for its public https:// address, and print it with the
webhook URL to paste into the carrier's console and the public_url line for the config.
The tunnel stays open until Ctrl-C. 'callflow serve --expose' does the same for the
life of the server and uses the address as public_url."""
EXIT_STATUS = """\
exit status: 1 the tool exited or printed no address within 30 s, 2 no tunnel tool is
installed, the config file cannot be read or the arguments are wrong, 130 Ctrl-C."""


def add_with_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--with",
        dest="tunnel_tool",
        choices=[tool.name for tool in TOOLS],
        help="the tunnel tool to start (default: the first of these on PATH)",
    )


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "expose",
        help=HELP,
        description=f"{DESCRIPTION}\n\n{EXIT_STATUS}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_with_argument(parser)
    parser.add_argument("--port", type=int, metavar="N", help="the local port (default: serve.port)")
    add_config_argument(parser)
    parser.set_defaults(handler=run)


@contextmanager
def tunnel_or_fail(port: int, tool_name: str | None) -> Iterator[Tunnel]:
    """``open_tunnel`` with its errors as the CLI's: no tool is a usage error (exit 2)."""
    try:
        with open_tunnel(port, tool_name) as tunnel:
            yield tunnel
    except NoTunnelToolError as error:
        raise UsageError(str(error)) from None
    except TunnelError as error:
        raise CommandError(str(error)) from None


def print_addresses(tunnel: Tunnel, config: Config, port: int) -> None:
    webhook = public_base(tunnel.public_url, config.serve.path) + config.serve.path
    print(f"public address: {tunnel.public_url} ({tunnel.tool}, to 127.0.0.1:{port})")
    print(f"webhook URL for the carrier's console: {webhook}")
    print("for the config:")
    print(f"public_url: {tunnel.public_url}", flush=True)


def run(args: argparse.Namespace) -> int:
    config = load_config_or_fail(args)
    port = config.serve.port if args.port is None else args.port
    with tunnel_or_fail(port, args.tunnel_tool) as tunnel:
        print_addresses(tunnel, config, port)
        print("the tunnel is open; Ctrl-C closes it", flush=True)
        status = tunnel.wait()
    raise CommandError(f"{tunnel.tool} exited (status {status}): the tunnel is closed")
