"""A public HTTPS address for a server on this machine, from a tunnel tool on PATH.

Carriers must reach the webhook from the internet; a newcomer's laptop is not on it.
cloudflared (a quick tunnel), ngrok and Tailscale Funnel each give an address without
touching the router. The tool runs as a child process for as long as the tunnel is
needed and is always terminated when it is closed.
"""

from __future__ import annotations

import queue
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = [
    "TOOLS",
    "NoTunnelToolError",
    "Tunnel",
    "TunnelError",
    "TunnelTool",
    "find_tool",
    "open_tunnel",
]

#: How long a tool may take to print its address: a quick tunnel takes a few seconds.
DEFAULT_TIMEOUT = 30.0


class TunnelError(Exception):
    """The tunnel could not be opened, or its tool stopped."""


class NoTunnelToolError(TunnelError):
    """None of the tunnel tools asked for is on PATH."""


@dataclass(frozen=True)
class TunnelTool:
    name: str
    where: str
    arguments: Callable[[int], list[str]]
    # Matched against each line of the tool's output; the first match is the address.
    # The domain is part of the pattern: the tools also print links to their own docs.
    address: re.Pattern[str]


TOOLS = (
    TunnelTool(
        "cloudflared",
        "https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/",
        lambda port: ["tunnel", "--url", f"http://127.0.0.1:{port}"],
        re.compile(r"https://[a-z0-9-]+\.trycloudflare\.com"),
    ),
    TunnelTool(
        "ngrok",
        "https://ngrok.com/download",
        lambda port: ["http", str(port), "--log", "stdout", "--log-format", "json"],
        re.compile(r"https://[A-Za-z0-9.-]+\.(?:ngrok-free\.app|ngrok-free\.dev|ngrok\.app|ngrok\.io)"),
    ),
    TunnelTool(
        "tailscale",
        "https://tailscale.com/download",
        lambda port: ["funnel", str(port)],
        re.compile(r"https://[A-Za-z0-9.-]+\.ts\.net(?::[0-9]+)?"),
    ),
)


def _install_hint(tools: Sequence[TunnelTool]) -> str:
    return "; ".join(f"{tool.name} ({tool.where})" for tool in tools)


def find_tool(name: str | None = None) -> tuple[TunnelTool, str]:
    """The tool named, else the first of ``TOOLS`` on PATH, with its executable's path."""
    wanted = [tool for tool in TOOLS if name is None or tool.name == name]
    for tool in wanted:
        executable = shutil.which(tool.name)
        if executable is not None:
            return tool, executable
    if name is not None:
        raise NoTunnelToolError(f"{name} is not on PATH; install it: {_install_hint(wanted)}")
    raise NoTunnelToolError(f"no tunnel tool is on PATH; install one of: {_install_hint(TOOLS)}")


@dataclass(frozen=True)
class Tunnel:
    tool: str
    public_url: str
    process: subprocess.Popen[str]

    def wait(self) -> int:
        """Block until the tool exits; its exit status."""
        return self.process.wait()


def _read_lines(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    # Read to the end even after the address is found: a tool blocked on a full pipe
    # would stop forwarding requests.
    if process.stdout is not None:
        with process.stdout:
            for line in process.stdout:
                lines.put(line)
    lines.put(None)


def _await_address(tool: TunnelTool, lines: queue.Queue[str | None], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    last = ""
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            said = f": {last}" if last else ""
            raise TunnelError(f"{tool.name} exited before printing its public address{said}")
        if match := tool.address.search(line):
            return match.group(0)
        last = line.strip() or last
    raise TunnelError(f"{tool.name} printed no public address within {timeout:g} s")


@contextmanager
def open_tunnel(
    port: int, tool_name: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Iterator[Tunnel]:
    """Start a tunnel tool in front of ``127.0.0.1:port`` and yield once it prints its
    public address; the tool is terminated when the block is left, however it is left."""
    tool, executable = find_tool(tool_name)
    process = subprocess.Popen(
        [executable, *tool.arguments(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    try:
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_read_lines, args=(process, lines), daemon=True).start()
        yield Tunnel(tool.name, _await_address(tool, lines, timeout), process)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
