"""The server as a user runs it: a real process on 127.0.0.1, signed carrier requests."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from twilio.request_validator import RequestValidator

from runner.store import open_store
from tests.conftest import CLI, EXAMPLES, PROJECT

AUTH_TOKEN = "twilio-test-token-0123456789"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def port() -> int:
    return _free_port()


def _config(folder: Path, port: int, provider: str = "twilio", extra: str = "") -> Path:
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


class Server:
    def __init__(self, config: Path, port: int) -> None:
        self.config = config
        self.base = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.output = config.parent / "server.out"

    def start(self) -> Server:
        with self.output.open("ab") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from runner.cli import run; run()",
                    "serve",
                    "--config",
                    str(self.config),
                ],
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

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=20)

    def carrier_post(self, path_and_query: str, form: dict[str, str]) -> httpx.Response:
        """What Twilio would send: signed by the official Twilio library."""
        url = f"{self.base}{path_and_query}"
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
        return httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=10)


@pytest.fixture
def server(tmp_path: Path, port: int) -> Iterator[Server]:
    running = Server(_config(tmp_path, port), port).start()
    yield running
    running.stop()


INBOUND = {"CallSid": "CA-inbound-1", "From": "+14155550111", "To": "+14155550199", "Direction": "inbound"}


def _gather_action(document: str) -> str:
    match = re.search(r'action="http://127\.0\.0\.1:\d+(/voice/webhook\?[^"]+)"', document)
    assert match is not None, document
    return match.group(1).replace("&amp;", "&")


def test_a_call_carries_on_after_the_server_is_killed_and_started_again(
    server: Server, tmp_path: Path
) -> None:
    first = server.carrier_post("/voice/webhook", {**INBOUND, "CallStatus": "ringing"})
    assert first.status_code == 200
    assert "<Say>You have reached the outage hotline.</Say>" in first.text
    action = _gather_action(first.text)
    server.kill()
    server.start()
    second = server.carrier_post(action, {**INBOUND, "CallStatus": "in-progress", "Digits": "1"})
    assert second.status_code == 200
    assert "<Say>Please describe the problem after the tone.</Say>" in second.text
    third = server.carrier_post(
        _gather_action(second.text), {**INBOUND, "CallStatus": "in-progress", "SpeechResult": "Lights out"}
    )
    assert "We noted: Lights out." in third.text
    with open_store(tmp_path / "data") as store:
        (record,) = store.all()
    assert record.path == ["ask", "report", "thanks"]
    assert record.end_reason is not None
    assert record.end_reason.value == "hangup-bot"


def test_an_unsigned_or_forged_request_changes_nothing(server: Server, tmp_path: Path) -> None:
    unsigned = httpx.post(f"{server.base}/voice/webhook", data=INBOUND, timeout=10)
    assert (unsigned.status_code, unsigned.text) == (401, "the carrier's signature headers are missing")
    forged = httpx.post(
        f"{server.base}/voice/webhook", data=INBOUND, headers={"X-Twilio-Signature": "Zm9yZ2Vk"}, timeout=10
    )
    assert (forged.status_code, forged.text) == (401, "the signature does not match")
    assert (
        not (tmp_path / "data" / "calls.sqlite3").exists() or list(open_store(tmp_path / "data").all()) == []
    )


def test_ctrl_c_stops_the_server_cleanly(server: Server) -> None:
    assert server.stop() == 0
    output = server.output.read_text(encoding="utf-8")
    assert output.startswith(f"callflow serving on {server.base} (webhook /voice/webhook, provider twilio")


def test_a_flow_that_does_not_lint_stops_start_up(cli: CLI, tmp_path: Path, port: int) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nname: broken\ngreeting: '{{ nme }}'\n", encoding="utf-8")
    config = _config(tmp_path, port)
    config.write_text(
        config.read_text(encoding="utf-8").replace(str(EXAMPLES / "appointment-reminder.yaml"), str(broken))
    )
    result = cli("serve", "--config", config)
    assert result.code == 2
    assert f"{broken}:3:15: error: 'nme' is not defined" in result.err
    assert result.err.endswith(
        f"callflow serve: error: {broken} has 1 lint error; run 'callflow lint {broken}'\n"
    )


def test_call_with_no_server_running_starts_one_for_the_call(cli: CLI, tmp_path: Path, port: int) -> None:
    config = _config(tmp_path, port, provider="mock")
    result = cli(
        "call", EXAMPLES / "appointment-reminder.yaml", "--var", "name=Ada", "--var", "phone=+14155550100",
        "--input", "2", "--config", config,
    )  # fmt: skip
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert re.fullmatch(
        r"call call-[0-9a-f]{24} placed to \+14155550100 \(flow appointment-reminder\)", lines[0]
    )
    assert re.fullmatch(r"ended: hangup-bot after [0-9.]+ s; path: menu > cancelled", lines[-1])
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)


def test_call_and_steering_go_through_a_running_server(cli: CLI, tmp_path: Path, port: int) -> None:
    running = Server(_config(tmp_path, port, provider="mock"), port).start()
    try:
        config = ("--config", running.config)
        placed = cli(
            "call", EXAMPLES / "appointment-reminder.yaml", "--var", "name=Ada", "--var", "phone=+14155550100",
            "--input", "wait:20", "--input", "wait:20", "--no-wait", *config,
        )  # fmt: skip
        assert placed.code == 0, placed.err
        call_id = placed.out.split()[1]
        _wait_until_waiting_for_the_caller(running, tmp_path / "data", call_id)
        assert cli("speak", "--call-id", call_id, "Still there?", *config).code == 0
        bad = cli("dtmf", "--call-id", call_id, "12x", *config)
        assert (bad.code, bad.err) == (
            2,
            "callflow dtmf: error: DIGITS takes 0-9 * # w W p P , only, found '12x'\n",
        )
        ended = cli("end", "--call-id", call_id, *config)
        assert ended.out == f'{{"id": "{call_id}", "end_reason": "hangup-bot"}}\n'
        status = cli("status", "--call-id", call_id, "--data-dir", tmp_path / "data")
        assert "Still there?" in status.out
    finally:
        running.stop()


def test_steering_with_no_server_says_how_to_start_one(cli: CLI, tmp_path: Path, port: int) -> None:
    result = cli(
        "speak", "--call-id", "call-1", "Hello", "--config", _config(tmp_path, port, provider="mock")
    )
    assert result.code == 1
    assert "no callflow server is running at" in result.err
    assert "start one with 'callflow serve'" in result.err


def _wait_until_waiting_for_the_caller(server: Server, data_dir: Path, call_id: str) -> None:
    token = (data_dir / "control.token").read_text(encoding="utf-8").strip()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status = httpx.get(
            f"{server.base}/api/calls/{call_id}", headers={"Authorization": f"Bearer {token}"}, timeout=5
        ).json()
        if status["waiting_for"] == "caller":
            return
        time.sleep(0.02)
    raise AssertionError(f"call {call_id} never waited for the caller")


def test_smoke_is_a_dry_run_unless_told_yes(cli: CLI, tmp_path: Path, port: int) -> None:
    config = _config(tmp_path, port, provider="mock")
    dry = cli("smoke", "--to", "+14155550100", "--config", config)
    assert dry.code == 0
    assert dry.out.splitlines()[-1] == (
        "dry run: would place a short notify call to +14155550100 on mock; add --yes to place it"
    )
    assert not (tmp_path / "data" / "calls.sqlite3").exists()
    placed = cli("smoke", "--to", "+14155550100", "--yes", "--config", config)
    assert placed.code == 0, placed.err
    assert "  bot    This is a callflow smoke test. Your setup can place calls. Goodbye." in placed.out
    assert placed.out.splitlines()[-1].startswith("ended: completed after ")
    assert placed.err == ""


def test_smoke_places_nothing_when_a_check_fails(cli: CLI, tmp_path: Path, port: int) -> None:
    config = _config(tmp_path, port)  # twilio, with a loopback public_url no carrier can reach
    result = cli("smoke", "--to", "+14155550100", "--yes", "--config", config)
    assert result.code == 1
    assert "FAIL webhook-exposure: " in result.out
    assert result.out.splitlines()[-1] == "smoke: a check failed; no call placed"


def test_smoke_checks_the_number_before_anything(cli: CLI, tmp_path: Path, port: int) -> None:
    result = cli("smoke", "--to", "12345", "--config", _config(tmp_path, port, provider="mock"))
    assert result.code == 2
    assert result.err.startswith("callflow smoke: error: --to: expected an E.164 phone number")


def test_smoke_goes_through_a_running_server(cli: CLI, tmp_path: Path, port: int) -> None:
    running = Server(_config(tmp_path, port, provider="mock"), port).start()
    try:
        result = cli("smoke", "--to", "+14155550100", "--yes", "--config", running.config)
        assert result.code == 0, result.err
        assert result.out.splitlines()[-1].startswith("ended: completed after ")
    finally:
        running.stop()


def test_record_commands_find_the_data_folder_the_config_names(cli: CLI, tmp_path: Path, port: int) -> None:
    config = _config(tmp_path, port, provider="mock")
    summary = cli(
        "simulate", EXAMPLES / "appointment-reminder.yaml", "--var", "name=Ada", "--var", "phone=+14155550100",
        "--input", "1", "--json", "--config", config,
    ).json()  # fmt: skip
    assert (tmp_path / "data" / "calls.sqlite3").is_file()
    status = cli("status", "--call-id", summary["call_id"], "--config", config)
    assert status.code == 0
    assert "path:        menu > confirmed" in status.out


def test_the_config_sets_how_many_requests_one_address_may_have_in_flight(tmp_path: Path, port: int) -> None:
    config = _config(tmp_path, port, extra="webhook_security: {max_in_flight_per_address: 2}\n")
    server = Server(config, port).start()
    try:
        connections = []
        for number in range(3):
            form = {**INBOUND, "CallSid": f"CA-held-{number}"}
            body = urlencode(form).encode()
            url = f"{server.base}/voice/webhook"
            head = (
                f"POST /voice/webhook HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n"
                f"X-Twilio-Signature: {RequestValidator(AUTH_TOKEN).compute_signature(url, form)}\r\n\r\n"
            )
            connection = socket.create_connection(("127.0.0.1", port), timeout=10)
            # Headers and part of the body: each request is in flight until the rest comes.
            connection.sendall(head.encode() + body[:5])
            connections.append((connection, body[5:]))
            time.sleep(0.3)
        statuses = []
        for connection, rest in connections:
            with connection:
                with contextlib.suppress(OSError):  # the refused one may be closed already
                    connection.sendall(rest)
                statuses.append(int(connection.recv(4096).decode("latin-1").split(" ", 2)[1]))
        assert statuses == [200, 200, 429]
    finally:
        server.stop()
