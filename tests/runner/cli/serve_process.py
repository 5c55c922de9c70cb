"""A real ``callflow serve`` process on 127.0.0.1, as a user runs it, for the server tests
of every carrier."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Self

import httpx
from twilio.request_validator import RequestValidator

from runner.store import open_store
from runner.types import CallRecord
from tests.conftest import EXAMPLES, PROJECT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def xml(text: str) -> str:
    """A whole document as the server writes it, from an indented block of its lines."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + textwrap.dedent(text).lstrip("\n")


def action_of(document: str) -> str:
    """The URL the carrier posts the caller's answer to (a gather's action), unescaped."""
    match = re.search(r' action="([^"]+)"', document)
    assert match is not None, document
    return match.group(1).replace("&amp;", "&")


def only_record(data_dir: Path) -> CallRecord:
    """The one call the store in ``data_dir`` holds."""
    with open_store(data_dir) as store:
        (record,) = store.all()
    return record


def serve_command(config: Path, *arguments: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "from runner.cli import run; run()",
        "serve",
        "--config",
        str(config),
        *arguments,
    ]


class ServeProcess:
    """``callflow serve --config CONFIG`` and ``arguments``; its output goes to a file
    beside the config."""

    def __init__(self, config: Path, port: int, *arguments: str) -> None:
        self.config = config
        self.base = f"http://127.0.0.1:{port}"
        self.arguments = arguments
        self.process: subprocess.Popen[bytes] | None = None
        self.output = config.parent / "server.out"

    def start(self) -> Self:
        with self.output.open("ab") as output:
            self.process = subprocess.Popen(
                serve_command(self.config, *self.arguments),
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONPATH": str(PROJECT)},
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited: {self.output.read_text(encoding='utf-8')}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError("the server did not start")

    def golden(self, document: str) -> str:
        """``document`` with what changes from run to run (port, call id, turn token) named."""
        document = document.replace(f"{self.base}/voice/webhook?", "WEBHOOK?")
        document = re.sub(r"call_id=call-[0-9a-f]+", "call_id=ID", document)
        return re.sub(r"turn=[A-Za-z0-9_-]+", "turn=TURN", document)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=20)


AUTH_TOKEN = "twilio-test-token-0123456789"


def twilio_config(folder: Path, port: int, provider: str = "twilio", extra: str = "") -> Path:
    """A Twilio server's config in ``folder`` (``provider`` may name another), plus ``extra``."""
    path = folder / "callflow.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            provider: {provider}
            from_number: "+14155550199"
            twilio:
              account_sid: AC00000000000000000000000000000000
              auth_token: {AUTH_TOKEN}
            public_url: http://127.0.0.1:{port}
            serve: {{port: {port}}}
            inbound: {{policy: open, flow: {EXAMPLES / "inbound-hotline.yaml"}}}
            flows: [{EXAMPLES / "appointment-reminder.yaml"}]
            data_dir: {folder / "data"}
            """
        )
        + extra,
        encoding="utf-8",
    )
    return path


class TwilioServer(ServeProcess):
    """The test is the carrier, on this machine: public_url is on loopback."""

    def __init__(self, config: Path, port: int) -> None:
        super().__init__(config, port, "--allow-private-url")

    def carrier_post(self, path_and_query: str, form: dict[str, str]) -> httpx.Response:
        """What Twilio would send: signed by the official Twilio library."""
        url = f"{self.base}{path_and_query}"
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
        return httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=10)
