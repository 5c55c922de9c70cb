"""``callflow status``: one call in full, or exit 1 for an id the store does not have."""

from __future__ import annotations

from pathlib import Path

from runner.store import STORE_FILENAME
from tests.conftest import CLI
from tests.runner.store import dial_in_call, failed_call, reminder_call, save_records


def test_prints_the_state_path_and_transcript_with_steps(cli: CLI, tmp_path: Path) -> None:
    save_records(tmp_path, reminder_call(), failed_call())
    result = cli("status", "--call-id", "call-0001", "--data-dir", tmp_path)
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "call:        call-0001",
        "flow:        appointment-reminder",
        "provider:    twilio",
        "direction:   outbound",
        "from:        +15559870000",
        "to:          +15551230001",
        "created:     2024-05-01T09:30:00Z",
        "ringing:     2024-05-01T09:30:00Z",
        "answered:    2024-05-01T09:30:06Z",
        "ended:       2024-05-01T09:30:17Z",
        "state:       hangup-bot",
        "step:        confirmed",
        "end reason:  hangup-bot",
        "path:        menu > confirmed",
        "digits sent: -",
        "transcript:",
        "  menu       bot: Hi Ada, this is the clinic.",
        "  menu       bot: Press 1 to confirm your appointment, or 2 to cancel it.",
        "  menu       caller: 1",
        "  confirmed  bot: See you then.",
    ]


def test_a_call_in_progress_shows_its_state_and_the_digits_it_sent(cli: CLI, tmp_path: Path) -> None:
    save_records(tmp_path, dial_in_call())
    lines = cli("status", "--call-id", "call-0003", "--data-dir", tmp_path).out.splitlines()
    assert lines[lines.index("state:       listening") :] == [
        "state:       listening",
        "step:        listen",
        "path:        listen",
        "digits sent: ww4421#",
        "transcript:",
        "  listen  bot: Hello, this is the assistant joining the meeting.",
    ]


def test_a_failed_call_shows_its_error_and_an_empty_transcript(cli: CLI, tmp_path: Path) -> None:
    save_records(tmp_path, failed_call())
    lines = cli("status", "--call-id", "call-0004", "--data-dir", tmp_path).out.splitlines()
    assert lines[lines.index("state:       failed") :] == [
        "state:       failed",
        "end reason:  failed",
        "error:       carrier rejected the number: unallocated (404)",
        "path:        -",
        "digits sent: -",
        "transcript:  -",
    ]


def test_json_is_the_whole_record(cli: CLI, tmp_path: Path) -> None:
    save_records(tmp_path, reminder_call())
    result = cli("status", "--call-id", "call-0001", "--json", "--data-dir", tmp_path)
    assert result.code == 0
    assert result.json() == reminder_call().as_json()


def test_an_unknown_id_is_exit_1_naming_the_folder(cli: CLI, tmp_path: Path) -> None:
    save_records(tmp_path, reminder_call())
    result = cli("status", "--call-id", "call-9999", "--data-dir", tmp_path)
    assert (result.code, result.out) == (1, "")
    assert result.err == f"callflow status: error: no call with id 'call-9999' in {tmp_path}\n"


def test_a_missing_data_folder_has_no_such_call(cli: CLI, tmp_path: Path) -> None:
    result = cli("status", "--call-id", "call-0001", "--data-dir", tmp_path / "fresh")
    assert result.code == 1
    assert result.err == f"callflow status: error: no call with id 'call-0001' in {tmp_path / 'fresh'}\n"
    assert not (tmp_path / "fresh").exists()


def test_the_call_id_is_required(cli: CLI, tmp_path: Path) -> None:
    result = cli("status", "--data-dir", tmp_path)
    assert result.code == 2
    assert "the following arguments are required: --call-id" in result.err


def test_a_corrupt_store_is_exit_2(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / STORE_FILENAME).write_bytes(b"PK\x03\x04 a zip file, maybe" * 100)
    result = cli("status", "--call-id", "call-0001", "--data-dir", tmp_path)
    assert result.code == 2
    assert result.err.startswith(
        f"callflow status: error: {tmp_path / STORE_FILENAME} is not a callflow database"
    )
