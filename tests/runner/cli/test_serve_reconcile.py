"""No call is ever stuck: calls left in flight by a server that stopped, seen through
real ``callflow serve`` processes sharing one data folder."""

from __future__ import annotations

from pathlib import Path

from runner.service import ORPHANED
from tests.conftest import CLI
from tests.runner.cli.listening_call import REMINDER, mock_config, place_a_listening_call, record_of
from tests.runner.cli.serve_process import ServeProcess, free_port

NOT_RUNNING = "listening (no server is running it)"


def _tail_state(cli: CLI, config: Path, call_id: str) -> str:
    (line,) = [line for line in cli("tail", "--config", config).out.splitlines() if call_id in line]
    return line.split("  ")[5]


def test_a_server_started_without_the_flow_ends_a_call_a_killed_server_left(
    cli: CLI, tmp_path: Path, port: int
) -> None:
    data_dir = tmp_path / "data"
    first = ServeProcess(mock_config(tmp_path / "first", data_dir, port, [REMINDER]), port).start()
    try:
        call_id = place_a_listening_call(cli, first.config, data_dir)
    finally:
        first.kill()
    assert _tail_state(cli, first.config, call_id) == NOT_RUNNING

    second = ServeProcess(mock_config(tmp_path / "second", data_dir, port, []), port).start()
    try:
        record = record_of(data_dir, call_id)
        assert (record.lifecycle, record.end_reason) == ("error", "error")
        assert record.error == (
            f"{ORPHANED}; this server started without its flow 'appointment-reminder', "
            "so it could not carry the call on"
        )
        assert _tail_state(cli, second.config, call_id) == f"error ({ORPHANED})"
    finally:
        assert second.stop() == 0
    assert f"call {call_id} ended: {record.error}" in second.output.read_text(encoding="utf-8")


def test_a_mock_call_ends_with_the_process_its_carrier_ran_in(cli: CLI, tmp_path: Path, port: int) -> None:
    # A carrier's call outlives the server and is carried on (test_serve's restart test);
    # the mock carrier's lived in the killed process: the flow is loaded, yet nothing
    # would ever move the call on.
    data_dir = tmp_path / "data"
    config = mock_config(tmp_path / "server", data_dir, port, [REMINDER])
    server = ServeProcess(config, port).start()
    try:
        call_id = place_a_listening_call(cli, config, data_dir)
    finally:
        server.kill()
    server.start()
    try:
        record = record_of(data_dir, call_id)
        assert (record.end_reason, record.error) == (
            "error",
            f"{ORPHANED}; the mock carrier ran in that process, and the call ended with it",
        )
        assert _tail_state(cli, config, call_id) == f"error ({ORPHANED})"
    finally:
        assert server.stop() == 0


def test_a_call_another_live_server_runs_is_left_to_it_then_ended_once_it_is_gone(
    cli: CLI, tmp_path: Path, port: int
) -> None:
    data_dir = tmp_path / "data"
    first = ServeProcess(mock_config(tmp_path / "first", data_dir, port, [REMINDER]), port).start()
    other_port = free_port()
    second_config = mock_config(tmp_path / "second", data_dir, other_port, [])
    try:
        call_id = place_a_listening_call(cli, first.config, data_dir)
        second = ServeProcess(second_config, other_port).start()
        try:
            # The second server does not load the call's flow, but the first still runs it.
            assert record_of(data_dir, call_id).end_reason is None
            assert _tail_state(cli, second_config, call_id) == "listening"
            refused = cli("end", "--call-id", call_id, "--config", second_config)
            assert (refused.code, refused.out) == (1, "")
            assert first.process is not None
            assert refused.err == (
                f"callflow end: error: call '{call_id}' cannot be steered: another callflow process "
                f"(pid {first.process.pid}) runs it; steer it through that process's server\n"
            )
            first.kill()
            assert _tail_state(cli, second_config, call_id) == NOT_RUNNING
            spoken = cli("speak", "--call-id", call_id, "Hello?", "--config", second_config)
            assert (spoken.code, spoken.err) == (
                1,
                f"callflow speak: error: call '{call_id}' cannot be steered: its flow "
                "'appointment-reminder' is not loaded in this server ('callflow end' ends it)\n",
            )

            ended = cli("end", "--call-id", call_id, "--config", second_config)
            assert (ended.code, ended.err) == (0, "")
            assert ended.out == f"call {call_id} ended: hangup-bot (hung up on mock)\n"
            record = record_of(data_dir, call_id)
            assert (record.lifecycle, record.end_reason, record.error) == ("hangup-bot", "hangup-bot", None)
            assert _tail_state(cli, second_config, call_id) == "hangup-bot"
        finally:
            assert second.stop() == 0
    finally:
        if first.process is not None and first.process.poll() is None:
            first.kill()
