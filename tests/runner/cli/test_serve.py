"""The server as a user runs it: a real process on 127.0.0.1, signed carrier requests."""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from twilio.request_validator import RequestValidator

from runner.store import open_store
from tests.conftest import CLI, EXAMPLES
from tests.runner.cli.listening_call import mock_config
from tests.runner.cli.serve_process import (
    AUTH_TOKEN,
    ServeProcess,
    TwilioServer,
    serve_command,
    twilio_config,
)


@pytest.fixture
def server(tmp_path: Path, port: int) -> Iterator[TwilioServer]:
    running = TwilioServer(twilio_config(tmp_path, port), port).start()
    yield running
    running.stop()


INBOUND = {"CallSid": "CA-inbound-1", "From": "+14155550111", "To": "+14155550199", "Direction": "inbound"}


def _gather_action(document: str) -> str:
    match = re.search(r'action="http://127\.0\.0\.1:\d+(/voice/webhook\?[^"]+)"', document)
    assert match is not None, document
    return match.group(1).replace("&amp;", "&")


def test_a_call_carries_on_after_the_server_is_killed_and_started_again(
    server: TwilioServer, tmp_path: Path
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


def test_an_unsigned_or_forged_request_changes_nothing(server: TwilioServer, tmp_path: Path) -> None:
    unsigned = httpx.post(f"{server.base}/voice/webhook", data=INBOUND, timeout=10)
    assert (unsigned.status_code, unsigned.text) == (401, "the carrier's signature headers are missing")
    forged = httpx.post(
        f"{server.base}/voice/webhook", data=INBOUND, headers={"X-Twilio-Signature": "Zm9yZ2Vk"}, timeout=10
    )
    assert (forged.status_code, forged.text) == (401, "the signature does not match")
    assert (
        not (tmp_path / "data" / "calls.sqlite3").exists() or list(open_store(tmp_path / "data").all()) == []
    )


def test_ctrl_c_stops_the_server_cleanly(server: TwilioServer) -> None:
    assert server.stop() == 0
    output = server.output.read_text(encoding="utf-8")
    assert output.startswith(f"callflow serving on {server.base} (webhook /voice/webhook, provider twilio")


def test_a_flow_that_does_not_lint_stops_start_up(cli: CLI, tmp_path: Path, port: int) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nname: broken\ngreeting: '{{ nme }}'\n", encoding="utf-8")
    config = twilio_config(tmp_path, port)
    config.write_text(
        config.read_text(encoding="utf-8").replace(str(EXAMPLES / "appointment-reminder.yaml"), str(broken))
    )
    result = cli("serve", "--config", config, "--allow-private-url")
    assert result.code == 2
    assert f"{broken}:3:15: error: 'nme' is not defined" in result.err
    assert result.err.endswith(
        f"callflow serve: error: {broken} has 1 lint error; run 'callflow lint {broken}'\n"
    )


REFUSED_AS_UNREACHABLE = (
    "; to serve anyway (a test, or a carrier on this network), pass --allow-private-url\n"
)


@pytest.mark.parametrize(
    ("public_url", "reason"),
    [
        (
            None,
            "public_url is not set: twilio cannot reach this server's webhook; set it to the "
            "https:// address that reaches this server (a tunnel's, say)",
        ),
        (
            "http://127.0.0.1:{port}",
            "public_url host 127.0.0.1 is a loopback address (this machine only): twilio cannot reach it",
        ),
        (
            "https://10.1.2.3/voice/webhook",
            "public_url host 10.1.2.3 is a private address (its own network only): twilio cannot reach it",
        ),
    ],
    ids=["missing", "loopback", "private"],
)
def test_serve_refuses_a_public_url_no_carrier_can_reach(
    tmp_path: Path, port: int, public_url: str | None, reason: str
) -> None:
    config = twilio_config(tmp_path, port)
    text = config.read_text(encoding="utf-8")
    wanted = "" if public_url is None else f"public_url: {public_url.format(port=port)}\n"
    config.write_text(text.replace(f"public_url: http://127.0.0.1:{port}\n", wanted), encoding="utf-8")
    # A process, so that a server that starts anyway fails the test rather than hanging it.
    result = subprocess.run(serve_command(config), capture_output=True, text=True, timeout=20, check=False)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"callflow serve: error: {reason}{REFUSED_AS_UNREACHABLE}"


def test_allow_private_url_starts_the_server_anyway(tmp_path: Path, port: int) -> None:
    config = twilio_config(tmp_path, port)  # twilio, public_url on loopback
    running = ServeProcess(config, port, "--allow-private-url").start()
    try:
        assert httpx.get(f"{running.base}/healthz", timeout=5).status_code == 200
    finally:
        assert running.stop() == 0


def test_call_refuses_to_start_its_own_server_where_no_carrier_can_reach_it(
    cli: CLI, tmp_path: Path, port: int
) -> None:
    config = twilio_config(tmp_path, port)  # twilio, public_url on loopback, no server running
    result = cli(
        "call", EXAMPLES / "appointment-reminder.yaml", "--var", "name=Ada", "--var", "phone=+14155550100",
        "--config", config,
    )  # fmt: skip
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "callflow call: error: public_url host 127.0.0.1 is a loopback address (this machine only): "
        f"twilio cannot reach it{REFUSED_AS_UNREACHABLE}"
    )
    assert not (tmp_path / "data" / "calls.sqlite3").exists()


@pytest.mark.parametrize(
    "public_url",
    [
        "http://127.0.0.1:{port}",
        "http://127.0.0.1:{port}/voice/webhook",
        "http://127.0.0.1:{port}/voice/webhook/",
    ],
    ids=["base-address", "webhook-url", "webhook-url-with-slash"],
)
def test_public_url_may_be_the_base_address_or_the_webhook_url_itself(
    tmp_path: Path, port: int, public_url: str
) -> None:
    config = twilio_config(tmp_path, port)
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            f"public_url: http://127.0.0.1:{port}\n", f"public_url: {public_url.format(port=port)}\n"
        ),
        encoding="utf-8",
    )
    running = TwilioServer(config, port).start()
    try:
        # The carrier signs the URL it calls: the webhook URL, whichever form public_url has.
        answer = running.carrier_post("/voice/webhook", {**INBOUND, "CallStatus": "ringing"})
        assert answer.status_code == 200, answer.text
        assert "<Say>You have reached the outage hotline.</Say>" in answer.text
        # Where the server sends the carrier next: the same webhook, not a doubled path.
        assert _gather_action(answer.text).startswith("/voice/webhook?call_id=")
    finally:
        running.stop()


def test_call_with_no_server_running_starts_one_for_the_call(cli: CLI, tmp_path: Path, port: int) -> None:
    config = twilio_config(tmp_path, port, provider="mock")
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
    running = TwilioServer(twilio_config(tmp_path, port, provider="mock"), port).start()
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
        ended = cli("end", "--call-id", call_id, "--json", *config)
        assert ended.out == f'{{"id": "{call_id}", "end_reason": "hangup-bot"}}\n'
        status = cli("status", "--call-id", call_id, "--data-dir", tmp_path / "data")
        assert "Still there?" in status.out
    finally:
        running.stop()


def test_steering_with_no_server_says_how_to_start_one(cli: CLI, tmp_path: Path, port: int) -> None:
    result = cli(
        "speak", "--call-id", "call-1", "Hello", "--config", twilio_config(tmp_path, port, provider="mock")
    )
    assert result.code == 1
    assert "no callflow server is running at" in result.err
    assert "start one with 'callflow serve'" in result.err


def _wait_until_waiting_for_the_caller(server: TwilioServer, data_dir: Path, call_id: str) -> None:
    _wait_until_waiting_for(server, data_dir, call_id, "caller")


def _wait_until_waiting_for(server: TwilioServer, data_dir: Path, call_id: str, whom: str) -> None:
    token = (data_dir / "control.token").read_text(encoding="utf-8").strip()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status = httpx.get(
            f"{server.base}/api/calls/{call_id}", headers={"Authorization": f"Bearer {token}"}, timeout=5
        ).json()
        if status["waiting_for"] == whom:
            return
        time.sleep(0.02)
    raise AssertionError(f"call {call_id} never waited for the {whom}")


def test_smoke_is_a_dry_run_unless_told_yes(cli: CLI, tmp_path: Path, port: int) -> None:
    config = twilio_config(tmp_path, port, provider="mock")
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
    config = twilio_config(tmp_path, port)  # twilio, with a loopback public_url no carrier can reach
    result = cli("smoke", "--to", "+14155550100", "--yes", "--config", config)
    assert result.code == 1
    assert "FAIL webhook-exposure: " in result.out
    assert result.out.splitlines()[-1] == "smoke: a check failed; no call placed"


def test_smoke_checks_the_number_before_anything(cli: CLI, tmp_path: Path, port: int) -> None:
    result = cli("smoke", "--to", "12345", "--config", twilio_config(tmp_path, port, provider="mock"))
    assert result.code == 2
    assert result.err.startswith("callflow smoke: error: --to: expected an E.164 phone number")


def test_smoke_goes_through_a_running_server(cli: CLI, tmp_path: Path, port: int) -> None:
    running = TwilioServer(twilio_config(tmp_path, port, provider="mock"), port).start()
    try:
        result = cli("smoke", "--to", "+14155550100", "--yes", "--config", running.config)
        assert result.code == 0, result.err
        assert result.out.splitlines()[-1].startswith("ended: completed after ")
    finally:
        running.stop()


def test_record_commands_find_the_data_folder_the_config_names(cli: CLI, tmp_path: Path, port: int) -> None:
    config = twilio_config(tmp_path, port, provider="mock")
    summary = cli(
        "simulate", EXAMPLES / "appointment-reminder.yaml", "--var", "name=Ada", "--var", "phone=+14155550100",
        "--input", "1", "--json", "--config", config,
    ).json()  # fmt: skip
    assert (tmp_path / "data" / "calls.sqlite3").is_file()
    status = cli("status", "--call-id", summary["call_id"], "--config", config)
    assert status.code == 0
    assert "path:        menu > confirmed" in status.out


def test_the_config_sets_how_many_requests_one_address_may_have_in_flight(tmp_path: Path, port: int) -> None:
    config = twilio_config(tmp_path, port, extra="webhook_security: {max_in_flight_per_address: 2}\n")
    server = TwilioServer(config, port).start()
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


def _call_counts(server: TwilioServer) -> dict[str, float]:
    """The callflow_calls_* samples of /metrics, by name and labels."""
    text = httpx.get(f"{server.base}/metrics", timeout=10).text
    samples = (line.rsplit(" ", 1) for line in text.splitlines() if line.startswith("callflow_calls_"))
    return {
        name: float(value) for name, value in samples if "_created" not in name and "by_state" not in name
    }


def test_metrics_count_each_call_once_across_a_restart(server: TwilioServer) -> None:
    second = {**INBOUND, "CallSid": "CA-inbound-2"}
    action = _gather_action(server.carrier_post("/voice/webhook", {**INBOUND, "CallStatus": "ringing"}).text)
    server.carrier_post("/voice/webhook", {**second, "CallStatus": "ringing"})
    assert _call_counts(server) == {
        'callflow_calls_started_total{direction="outbound"}': 0.0,
        'callflow_calls_started_total{direction="inbound"}': 2.0,
        "callflow_calls_restored_total": 0.0,
        "callflow_calls_in_flight": 2.0,
    }
    server.kill()
    server.start()
    # The calls the first process started are brought back here, not started again.
    assert _call_counts(server) == {
        'callflow_calls_started_total{direction="outbound"}': 0.0,
        'callflow_calls_started_total{direction="inbound"}': 0.0,
        "callflow_calls_restored_total": 2.0,
        "callflow_calls_in_flight": 2.0,
    }
    reported = server.carrier_post(action, {**INBOUND, "CallStatus": "in-progress", "Digits": "1"})
    server.carrier_post(
        _gather_action(reported.text), {**INBOUND, "CallStatus": "in-progress", "SpeechResult": "Lights out"}
    )
    server.carrier_post("/voice/webhook", {**second, "CallStatus": "completed"})
    server.carrier_post("/voice/webhook", {**INBOUND, "CallSid": "CA-inbound-3", "CallStatus": "ringing"})
    # Started here + brought back = ended here + in flight: 1 + 2 = 2 + 1.
    assert _call_counts(server) == {
        'callflow_calls_started_total{direction="outbound"}': 0.0,
        'callflow_calls_started_total{direction="inbound"}': 1.0,
        "callflow_calls_restored_total": 2.0,
        'callflow_calls_ended_total{reason="hangup-bot"}': 1.0,
        'callflow_calls_ended_total{reason="hangup-user"}': 1.0,
        "callflow_calls_in_flight": 1.0,
    }


def _carrier_config(folder: Path, port: int, provider: str, flow_text: str) -> tuple[Path, Path]:
    flow = folder / "menu.yaml"
    flow.write_text(textwrap.dedent(flow_text).lstrip("\n"), encoding="utf-8")
    config = folder / "callflow.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            provider: {provider}
            from_number: "+14155550199"
            twilio: {{account_sid: AC00000000000000000000000000000000, auth_token: {AUTH_TOKEN}}}
            plivo: {{auth_id: MA0000000000000000000, auth_token: plivo-test-token}}
            public_url: http://127.0.0.1:{port}
            serve: {{port: {port}}}
            inbound: {{policy: open, flow: {flow}}}
            data_dir: {folder / "data"}
            """
        ),
        encoding="utf-8",
    )
    return config, flow


def test_serve_warns_at_start_up_of_each_value_the_carrier_moves(tmp_path: Path, port: int) -> None:
    config, flow = _carrier_config(
        tmp_path,
        port,
        "plivo",
        """
        version: 1
        name: menu
        mode: conversation
        steps:
          menu:
            say: Press 1.
            gather: {digits: 1, timeout: 4}
            on: {"1": bye}
          bye:
            say: Bye.
        """,
    )
    running = ServeProcess(config, port, "--allow-private-url").start()
    assert running.stop() == 0
    lines = running.output.read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        f"{flow}:7:34: warning: step 'menu': plivo: <GetInput> executionTimeout takes 5 to 60 s: "
        "a timeout of 4 s is 5 s [carrier-adjusts]"
    )
    assert lines[1].startswith(f"callflow serving on {running.base} (webhook /voice/webhook, provider plivo")


def test_a_value_the_carrier_cannot_take_stops_start_up(tmp_path: Path, port: int) -> None:
    config, flow = _carrier_config(
        tmp_path,
        port,
        "twilio",
        """
        version: 1
        name: menu
        mode: conversation
        steps:
          menu:
            gather: {input: [speech], hints: [yes, "no, thanks"]}
            on: {any: bye}
          bye:
            say: Bye.
        """,
    )
    # A process, so that a server that starts anyway fails the test rather than hanging it.
    result = subprocess.run(
        serve_command(config, "--allow-private-url"), capture_output=True, text=True, timeout=20, check=False
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f"{flow}:6:44: error: step 'menu': twilio: <Gather> hint 'no, thanks' has a comma, which separates "
        "one hint from the next [carrier-refuses]",
        "callflow serve: error: the flows have 1 value that twilio cannot take; "
        "run 'callflow lint --provider twilio'",
    ]


def test_sigterm_drains_the_server_like_ctrl_c_and_exits_0(server: TwilioServer) -> None:
    assert server.process is not None
    server.process.send_signal(signal.SIGTERM)  # how systemd and containers stop a service
    assert server.process.wait(timeout=20) == 0
    assert "Traceback" not in server.output.read_text(encoding="utf-8")


def test_a_request_waiting_on_a_call_is_answered_when_the_server_stops(tmp_path: Path, port: int) -> None:
    running = TwilioServer(twilio_config(tmp_path, port, provider="mock"), port).start()
    token = (tmp_path / "data" / "control.token").read_text(encoding="utf-8").strip()
    headers = {"Authorization": f"Bearer {token}"}
    call_id = httpx.post(
        f"{running.base}/api/calls",
        json={"flow": "appointment-reminder", "vars": {"name": "Ada", "phone": "+14155550100"},
              "inputs": ["wait:60"]},
        headers=headers,
        timeout=10,
    ).json()["id"]  # fmt: skip
    _wait_until_waiting_for_the_caller(running, tmp_path / "data", call_id)
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(
            httpx.post, f"{running.base}/api/calls/{call_id}/wait", json={"timeout": 60}, headers=headers,
            timeout=30,
        )  # fmt: skip
        time.sleep(1)  # the request reaches the server and waits there
        assert running.stop() == 0
        answer = waiting.result()
    assert (answer.status_code, answer.json()) == (
        503,
        {"error": "the server is shutting down; ask again once it is back"},
    )
    assert "Traceback" not in running.output.read_text(encoding="utf-8")


def _with_meeting_flow(config: Path) -> Path:
    """The config with the meeting-dial-in flow (a consult step) loaded too."""
    reminder = str(EXAMPLES / "appointment-reminder.yaml")
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace(reminder, f"{reminder}, {EXAMPLES / 'meeting-dial-in.yaml'}"))
    return config


def test_a_webhook_waiting_for_the_agent_is_answered_when_the_server_stops(tmp_path: Path, port: int) -> None:
    running = TwilioServer(_with_meeting_flow(twilio_config(tmp_path, port, provider="mock")), port).start()
    token = (tmp_path / "data" / "control.token").read_text(encoding="utf-8").strip()
    call_id = httpx.post(
        f"{running.base}/api/calls",
        json={"flow": "meeting-dial-in", "vars": {"bridge": "+14155550100", "pin": "31"},
              "inputs": ["say:What is on the agenda?"]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()["id"]  # fmt: skip
    # The mock carrier's webhook with the caller's words waits for the agent's reply.
    _wait_until_waiting_for(running, tmp_path / "data", call_id, "agent")
    assert running.stop() == 0
    output = running.output.read_text(encoding="utf-8")
    assert "the webhook answered 503" in output
    assert "Traceback" not in output


def test_a_continue_waiting_for_the_caller_is_answered_when_the_server_stops(
    tmp_path: Path, port: int
) -> None:
    running = TwilioServer(_with_meeting_flow(twilio_config(tmp_path, port, provider="mock")), port).start()
    token = (tmp_path / "data" / "control.token").read_text(encoding="utf-8").strip()
    headers = {"Authorization": f"Bearer {token}"}
    call_id = httpx.post(
        f"{running.base}/api/calls",
        json={"flow": "meeting-dial-in", "vars": {"bridge": "+14155550100", "pin": "31"},
              "inputs": ["say:What is on the agenda?", "wait:60"]},
        headers=headers,
        timeout=10,
    ).json()["id"]  # fmt: skip
    _wait_until_waiting_for(running, tmp_path / "data", call_id, "agent")
    with ThreadPoolExecutor(1) as pool:
        # The agent's turn, then a wait for the caller, who stays silent.
        waiting = pool.submit(
            httpx.post, f"{running.base}/api/calls/{call_id}/continue",
            json={"text": "The budget first.", "timeout": 60}, headers=headers, timeout=30,
        )  # fmt: skip
        _wait_until_waiting_for(running, tmp_path / "data", call_id, "caller")
        assert running.stop() == 0
        answer = waiting.result()
    assert (answer.status_code, answer.json()) == (
        503,
        {"error": "the server is shutting down; ask again once it is back"},
    )
    assert "Traceback" not in running.output.read_text(encoding="utf-8")


def test_a_bad_outcome_spec_stops_serve_before_it_listens(cli: CLI, tmp_path: Path, port: int) -> None:
    config = mock_config(tmp_path / "config", tmp_path / "data", port, [])
    result = cli("serve", "--config", config, "--mock-outcomes", "answered=0.5")
    assert (result.code, result.out) == (2, "")
    assert (
        result.err
        == "callflow serve: error: mock: --mock-outcomes 'answered=0.5': the shares add up to 0.5, not 1\n"
    )
