"""``callflow tail``: the latest calls as lines, and --follow while another thread saves."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from runner.cli import tail
from runner.service import ORPHANED, Owners
from runner.store import DATA_DIR_ENV, STORE_FILENAME, open_store
from runner.types import CallRecord, EndReason, Lifecycle
from tests.conftest import CLI, PROJECT
from tests.runner.store import T0, dial_in_call, failed_call, hotline_call, reminder_call, save_records

REMINDER = "2024-05-01T09:30:00Z  call-0001  appointment-reminder  outbound  to +15551230001  hangup-bot  menu > confirmed"
HOTLINE = "2024-05-01T09:31:00Z  call-0002  inbound-hotline  inbound  from +15557654321  hangup-bot  ask > report > thanks"
# Saved without the live state a server keeps: no server is running it.
DIAL_IN = "2024-05-01T09:32:00Z  call-0003  meeting-dial-in  outbound  to +15553334444  listening (no server is running it)  listen"
FAILED = "2024-05-01T09:33:00Z  call-0004  outage-notice  outbound  to +15550009999  failed  -"


def test_prints_the_calls_oldest_first_one_line_each(cli: CLI, tmp_path: Path) -> None:
    save_records(tmp_path, failed_call(), hotline_call(), reminder_call(), dial_in_call())
    result = cli("tail", "--data-dir", tmp_path)
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [REMINDER, HOTLINE, DIAL_IN, FAILED]


def test_prints_the_last_ten_unless_told_otherwise(cli: CLI, tmp_path: Path) -> None:
    save_records(tmp_path, *(reminder_call(f"call-{number:04}", T0 + number) for number in range(12)))
    assert [line.split()[1] for line in cli("tail", "--data-dir", tmp_path).out.splitlines()] == [
        f"call-{number:04}" for number in range(2, 12)
    ]
    assert cli("tail", "-n", "2", "--data-dir", tmp_path).out.splitlines() == [
        REMINDER.replace("09:30:00Z  call-0001", "09:30:10Z  call-0010"),
        REMINDER.replace("09:30:00Z  call-0001", "09:30:11Z  call-0011"),
    ]


def test_a_call_in_flight_shows_whether_a_live_process_runs_it(cli: CLI, tmp_path: Path) -> None:
    running, stopped = Owners(tmp_path), Owners(tmp_path)
    running.join()
    stopped.join()
    stopped.leave()
    try:
        with open_store(tmp_path) as store:
            store.save(dial_in_call(), {"owner": running.id})
            store.save(dial_in_call("call-0005", T0 + 240), {"owner": stopped.id})
        result = cli("tail", "--data-dir", tmp_path)
    finally:
        running.leave()
    assert result.out.splitlines() == [
        DIAL_IN.replace(" (no server is running it)", ""),
        DIAL_IN.replace("09:32:00Z  call-0003", "09:34:00Z  call-0005"),
    ]


def test_a_call_ended_because_no_process_ran_it_says_so(cli: CLI, tmp_path: Path) -> None:
    orphan = dataclasses.replace(
        dial_in_call(),
        lifecycle=EndReason.ERROR,
        end_reason=EndReason.ERROR,
        ended_at=T0 + 300,
        error=f"{ORPHANED}; this server started without its flow 'meeting-dial-in', so it could not carry the call on",
    )
    save_records(tmp_path, orphan)
    assert cli("tail", "--data-dir", tmp_path).out.splitlines() == [
        DIAL_IN.replace("listening (no server is running it)", f"error ({ORPHANED})")
    ]


def test_a_missing_data_folder_has_no_calls_yet_and_is_not_created(cli: CLI, tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    result = cli("tail", "--data-dir", data_dir)
    assert (result.code, result.out, result.err) == (0, f"no calls recorded in {data_dir} yet\n", "")
    assert not data_dir.exists()


def test_an_empty_store_has_no_calls_yet(cli: CLI, tmp_path: Path) -> None:
    open_store(tmp_path).close()
    assert cli("tail", "--data-dir", tmp_path).out == f"no calls recorded in {tmp_path} yet\n"


def test_the_data_folder_comes_from_the_environment(
    cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_records(tmp_path / "env", reminder_call())
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "env"))
    assert cli("tail").out.splitlines() == [REMINDER]


def test_the_data_folder_defaults_to_dot_callflow_here(
    cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_records(tmp_path / ".callflow", hotline_call())
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert cli("tail").out.splitlines() == [HOTLINE]


def test_a_corrupt_store_is_one_line_and_exit_2(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / STORE_FILENAME).write_bytes(b"\x00\xffgarbage" * 512)
    result = cli("tail", "--data-dir", tmp_path)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"callflow tail: error: {tmp_path / STORE_FILENAME} is not a callflow database "
        "(file is not a database); move it away or pick another --data-dir\n"
    )


def test_a_negative_count_is_a_usage_error(cli: CLI, tmp_path: Path) -> None:
    result = cli("tail", "-n", "-1", "--data-dir", tmp_path)
    assert result.code == 2
    assert "argument -n/--lines: expected 0 or more, found -1" in result.err


def test_the_test_only_option_is_not_in_the_help(cli: CLI) -> None:
    result = cli("tail", "--help")
    assert result.code == 0
    assert "--follow-for" not in result.out
    assert "CALLFLOW_DATA_DIR" in result.out


# -- --follow ----------------------------------------------------------------------


def test_follow_prints_the_last_calls_then_stops_when_told(cli: CLI, tmp_path: Path) -> None:
    save_records(tmp_path, reminder_call(), hotline_call(), dial_in_call())
    result = cli("tail", "-n", "2", "--follow", "--follow-for", "0", "--data-dir", tmp_path)
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [HOTLINE, DIAL_IN]


def test_follow_prints_each_call_as_another_thread_saves_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save_records(tmp_path, reminder_call())
    started, saved = threading.Event(), threading.Event()

    def save() -> None:
        started.wait()
        save_records(tmp_path, hotline_call(), dial_in_call(), failed_call())
        saved.set()

    def until() -> bool:
        # Asked before each look: the last look comes after the last save.
        started.set()
        return saved.is_set()

    saver = threading.Thread(target=save)
    saver.start()
    code = tail.follow(tmp_path, 0, poll_interval=0.01, until=until)
    saver.join()
    assert code == 0
    assert capsys.readouterr().out.splitlines() == [HOTLINE, DIAL_IN, FAILED]


def saving_one_per_look(data_dir: Path, *records: CallRecord) -> Callable[[], bool]:
    """An ``until`` for follow() that saves the next record before each look, then stops."""
    waiting = list(records)

    def until() -> bool:
        if not waiting:
            return True
        save_records(data_dir, waiting.pop(0))
        return False

    return until


def test_follow_prints_a_call_again_each_time_it_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save_records(tmp_path, reminder_call())
    ringing = dataclasses.replace(
        dial_in_call(), lifecycle=Lifecycle.RINGING, step=None, transcript=[], path=[], turns=[]
    )
    until = saving_one_per_look(tmp_path, ringing, hotline_call(), dial_in_call())
    assert tail.follow(tmp_path, 1, poll_interval=0, until=until) == 0
    assert capsys.readouterr().out.splitlines() == [
        REMINDER,
        DIAL_IN.replace(
            "listening (no server is running it)  listen", "ringing (no server is running it)  -"
        ),
        HOTLINE,
        DIAL_IN,
    ]


def test_follow_waits_for_the_store_to_appear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "fresh"
    until = saving_one_per_look(data_dir, reminder_call(), failed_call())
    assert tail.follow(data_dir, 10, poll_interval=0, until=until) == 0
    assert capsys.readouterr().out.splitlines() == [f"no calls recorded in {data_dir} yet", REMINDER, FAILED]


def test_follow_ends_quietly_on_ctrl_c(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save_records(tmp_path, failed_call())

    def interrupted() -> bool:
        raise KeyboardInterrupt

    assert tail.follow(tmp_path, 10, until=interrupted) == 0
    assert capsys.readouterr() == (FAILED + "\n", "")


def test_a_reader_that_stops_early_ends_tail_quietly(tmp_path: Path) -> None:
    # More lines than a pipe holds, so tail is still writing when the reader leaves.
    save_records(tmp_path, *(reminder_call(f"call-{number:04}", T0 + number) for number in range(1500)))
    command = [sys.executable, "-c", "import sys; from runner.cli import main; sys.exit(main(sys.argv[1:]))"]
    environment = {**os.environ, "PYTHONPATH": str(PROJECT)}
    with subprocess.Popen(
        [*command, "tail", "-n", "1500", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline().split()[1] == b"call-0000"
        process.stdout.close()
        assert (process.wait(), process.stderr.read()) == (0, b"")
