"""``callflow call`` keeps its word: it returns when told, and Ctrl-C stops it cleanly.

Ctrl-C is a real SIGINT sent to a real ``callflow call`` process; the callee of the mock
carrier stays silent (``wait:N``) so that the call is still going when it comes.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.types import CallRecord, Lifecycle
from tests.conftest import CLI, PROJECT
from tests.runner.cli.listening_call import REMINDER, mock_config, record_of
from tests.runner.cli.serve_process import ServeProcess, only_record

ADA = ("--var", "name=Ada", "--var", "phone=+14155550100")
PLACED = re.compile(r"call (call-[0-9a-f]{24}) placed to \+14155550100 \(flow appointment-reminder\)")
# A terminal's Ctrl-C raises KeyboardInterrupt; a process started in the background of a
# shell may have SIGINT ignored instead, so the test says which it wants.
CALLFLOW = [
    sys.executable,
    "-c",
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from runner.cli import run; run()",
]


@pytest.fixture
def config(tmp_path: Path, port: int) -> Path:
    return mock_config(tmp_path / "config", tmp_path / "config" / "data", port, [REMINDER])


@pytest.fixture
def server(config: Path, port: int) -> Iterator[ServeProcess]:
    running = ServeProcess(config, port).start()
    yield running
    running.stop()


def _start_call(config: Path, *arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CALLFLOW, "call", str(REMINDER), *ADA, "--config", str(config), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )


def _placed(call: subprocess.Popen[str]) -> str:
    """The id of the call the process placed, from its first line."""
    assert call.stdout is not None
    line = call.stdout.readline()
    match = PLACED.fullmatch(line.strip())
    assert match is not None, line
    return match.group(1)


def _listening(data_dir: Path, call_id: str) -> CallRecord:
    """The call's record once it waits for the callee at the menu."""
    deadline = time.monotonic() + 20
    while (record := record_of(data_dir, call_id)).lifecycle != Lifecycle.LISTENING:
        assert time.monotonic() < deadline, "the call never reached its menu"
        time.sleep(0.05)
    return record


def test_ctrl_c_during_a_call_through_a_running_server_prints_one_line(
    server: ServeProcess, config: Path
) -> None:
    call = _start_call(config, "--input", "wait:60")
    _listening(config.parent / "data", _placed(call))
    call.send_signal(signal.SIGINT)
    out, err = call.communicate(timeout=20)
    assert (call.returncode, err, out) == (130, "callflow: interrupted\n", "")


def test_ctrl_c_hangs_up_a_call_of_its_own_server_and_stops_it(config: Path, port: int) -> None:
    call = _start_call(config, "--input", "wait:60")
    call_id = _placed(call)
    _listening(config.parent / "data", call_id)
    call.send_signal(signal.SIGINT)
    # Well under the 60 s the callee would wait, and under the server's 10 s of grace.
    out, err = call.communicate(timeout=5)
    assert (call.returncode, err) == (130, "callflow: interrupted\n")
    assert "Traceback" not in out
    record = record_of(config.parent / "data", call_id)
    assert (record.end_reason, record.lifecycle) == ("hangup-bot", "hangup-bot")
    with pytest.raises(ConnectionError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_timeout_returns_with_the_call_going_on_in_the_running_server(
    server: ServeProcess, config: Path
) -> None:
    call = _start_call(config, "--input", "wait:600", "--timeout", "1")
    out, err = call.communicate(timeout=30)
    match = PLACED.match(out)
    assert match is not None, out
    assert (call.returncode, err) == (1, f"call {match.group(1)} has not ended after 1 s\n")
    assert only_record(config.parent / "data").end_reason is None


def test_timeout_hangs_up_a_call_of_its_own_server_and_says_so(config: Path) -> None:
    call = _start_call(config, "--input", "wait:600", "--timeout", "1")
    out, err = call.communicate(timeout=30)
    match = PLACED.match(out)
    assert match is not None, out
    assert out.splitlines()[-1].startswith("ended: hangup-bot after ")
    assert call.returncode == 1
    assert err == (
        f"call {match.group(1)} had not ended after 1 s: hung up, as the server this command "
        "started stops with it ('callflow serve' runs calls that outlive the command)\n"
    )
    assert only_record(config.parent / "data").end_reason == "hangup-bot"


def test_no_wait_returns_at_once_with_the_call_going_on(server: ServeProcess, config: Path) -> None:
    call = _start_call(config, "--input", "wait:600", "--no-wait")
    out, err = call.communicate(timeout=30)
    assert (call.returncode, err) == (0, "")
    match = PLACED.fullmatch(out.strip())
    assert match is not None, out
    assert _listening(config.parent / "data", match.group(1)).end_reason is None


def test_no_wait_without_a_running_server_is_refused_before_dialling(cli: CLI, config: Path) -> None:
    result = cli("call", REMINDER, *ADA, "--no-wait", "--config", config)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "callflow call: error: --no-wait needs a running server ('callflow serve' with this config): "
        "with none, this command starts one that stops when it returns, and the call could not go on\n"
    )
    assert not (config.parent / "data" / "calls.sqlite3").exists()


def test_a_say_over_the_carriers_limit_ends_the_call_in_error(cli: CLI, config: Path, tmp_path: Path) -> None:
    flow = tmp_path / "read-out.yaml"
    flow.write_text(
        "version: 1\nname: read-out\nmode: notify\ninputs:\n  text: {type: string}\n"
        'to: "+14155550100"\ngreeting: "{{ text }}"\n',
        encoding="utf-8",
    )
    result = cli("call", flow, "--var", "text=" + "a" * 5000, "--config", config)
    assert result.code == 1, result.err
    lines = result.out.splitlines()
    assert lines[-2].startswith("error: twilio: <Say> text is 5,000 characters long, over the limit of 4,096")
    assert re.fullmatch(r"ended: error after [0-9.]+ s; path: no steps", lines[-1])
    record = only_record(config.parent / "data")
    assert (record.end_reason, record.lifecycle) == ("error", "error")


def _notify_flow(tmp_path: Path, on_machine: str | None = None) -> Path:
    flow = tmp_path / "outage.yaml"
    machine = "" if on_machine is None else f"machine: {{detect: true, on_machine: {on_machine}}}\n"
    flow.write_text(
        f'version: 1\nname: outage\nto: "+14155550100"\ngreeting: Power is back on Elm Street.\n{machine}',
        encoding="utf-8",
    )
    return flow


@pytest.mark.parametrize("outcome", ["busy", "no-answer", "failed"])
def test_a_call_the_mock_never_answers_ends_with_the_carriers_status(
    cli: CLI, config: Path, tmp_path: Path, outcome: str
) -> None:
    result = cli("call", _notify_flow(tmp_path), "--config", config, "--mock-outcomes", f"{outcome}=1")
    assert result.code == (1 if outcome == "failed" else 0), result.err
    record = only_record(config.parent / "data")
    assert (record.end_reason, record.answered_at, record.said) == (outcome, None, [])


def test_a_machine_is_hung_up_on_as_voicemail(cli: CLI, config: Path, tmp_path: Path) -> None:
    flow = _notify_flow(tmp_path, "hang_up")
    result = cli("call", flow, "--config", config, "--mock-outcomes", "machine=1", "--seed", "3")
    assert result.code == 0, result.err
    record = only_record(config.parent / "data")
    assert (record.end_reason, record.answered_by, record.said) == ("voicemail", "machine", [])


def test_a_machine_is_left_the_message(cli: CLI, config: Path, tmp_path: Path) -> None:
    flow = _notify_flow(tmp_path, "leave_message")
    result = cli("call", flow, "--config", config, "--mock-outcomes", "machine=1")
    assert result.code == 0, result.err
    record = only_record(config.parent / "data")
    assert (record.end_reason, record.answered_by) == ("completed", "machine")
    assert record.said == ["Power is back on Elm Street."]


def test_a_person_is_said_to_be_human_when_the_flow_detects_machines(
    cli: CLI, config: Path, tmp_path: Path
) -> None:
    result = cli(
        "call", _notify_flow(tmp_path, "hang_up"), "--config", config, "--mock-outcomes", "answered=1"
    )
    assert result.code == 0, result.err
    record = only_record(config.parent / "data")
    assert (record.end_reason, record.answered_by) == ("completed", "human")
    assert record.said == ["Power is back on Elm Street."]


def test_a_machine_answers_as_a_person_when_the_flow_does_not_detect_machines(
    cli: CLI, config: Path, tmp_path: Path
) -> None:
    result = cli("call", _notify_flow(tmp_path), "--config", config, "--mock-outcomes", "machine=1")
    assert result.code == 0, result.err
    record = only_record(config.parent / "data")
    assert (record.end_reason, record.answered_by) == ("completed", None)


def test_the_same_seed_gives_the_same_outcome(cli: CLI, tmp_path: Path, port: int) -> None:
    flow = _notify_flow(tmp_path, "hang_up")
    spec = "answered=0.4,busy=0.2,no-answer=0.2,machine=0.2"
    outcomes = []
    for run in range(2):
        for seed in range(6):
            folder = tmp_path / f"run-{run}-seed-{seed}"
            config = mock_config(folder, folder / "data", port, [REMINDER])
            result = cli("call", flow, "--config", config, "--mock-outcomes", spec, "--seed", str(seed))
            assert result.code == 0, result.err
            outcomes.append(only_record(folder / "data").end_reason)
    assert outcomes[:6] == outcomes[6:]
    assert len(set(outcomes)) > 1, "six seeds should not all draw the same outcome"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "answered=0.9,bussy=0.1",
            "unknown outcome 'bussy'; expected one of answered, busy, no-answer, machine, failed",
        ),
        ("answered=most", "the share of 'answered' is not a number: 'most'"),
        ("answered=0.8,busy=0.1", "the shares add up to 0.9, not 1"),
        ("answered", "expected NAME=SHARE, found 'answered'"),
        ("answered=0.5,answered=0.5", "'answered' is given twice"),
        ("answered=1.5,busy=-0.5", "the share of 'busy' must be a number from 0 to 1, found '-0.5'"),
    ],
)
def test_a_bad_outcome_spec_is_refused_before_dialling(
    cli: CLI, config: Path, tmp_path: Path, spec: str, message: str
) -> None:
    result = cli("call", _notify_flow(tmp_path), "--config", config, "--mock-outcomes", spec)
    assert (result.code, result.out) == (2, "")
    assert result.err == f"callflow call: error: mock: --mock-outcomes '{spec}': {message}\n"
    assert not (config.parent / "data" / "calls.sqlite3").exists()


def test_a_seed_without_outcomes_is_refused(cli: CLI, config: Path, tmp_path: Path) -> None:
    result = cli("call", _notify_flow(tmp_path), "--config", config, "--seed", "4")
    assert result.code == 2
    assert "--seed seeds the draws of --mock-outcomes; pass --mock-outcomes too" in result.err
