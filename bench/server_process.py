"""A server under load in a process of its own: started, watched and always stopped."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parent.parent


class BenchError(Exception):
    """The benchmark cannot run or finish; the message says why."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A server process, its output in a file; stopped on exit whatever happened."""

    def __init__(self, name: str, argv: list[str], port: int, health_path: str, log: Path) -> None:
        self.name = name
        self.argv = argv
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.health_path = health_path
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Server:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(self.argv, stdout=output, stderr=subprocess.STDOUT, cwd=PROJECT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} exited at start:\n{self.log_tail()}")
            try:
                if httpx.get(self.base + self.health_path, timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise BenchError(f"{self.name} did not answer {self.health_path} within {timeout:g} s")

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()  # uvicorn drains in-flight requests on SIGTERM
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the process so far (Linux /proc), None elsewhere."""
        if self.process is None:
            return None
        try:
            stat = Path(f"/proc/{self.process.pid}/stat").read_text(encoding="ascii")
        except OSError:
            return None
        # Fields after the command name, which is in parentheses and may hold spaces.
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_mb(self) -> float | None:
        """Resident memory of the process (Linux /proc), None elsewhere."""
        if self.process is None:
            return None
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="ascii")
        except OSError:
            return None
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return int(found.group(1)) / 1024 if found else None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no output)"


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server.start()
    finally:
        server.stop()


def check_answer(response: httpx.Response, expected: str, who: str) -> None:
    if response.status_code != 200 or expected not in response.text:
        raise BenchError(
            f"{who} answered a signed request with {response.status_code}, "
            f"expected 200 with {expected!r}:\n{response.text[:500]}"
        )
