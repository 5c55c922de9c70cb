"""``callflow export --jsonl``: every record, one JSON object per line, oldest first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from runner.store import STORE_FILENAME, record_from_json
from tests.conftest import CLI, PROJECT
from tests.runner.store import T0, dial_in_call, failed_call, hotline_call, reminder_call, save_records


def test_prints_one_record_per_line_oldest_first(cli: CLI, tmp_path: Path) -> None:
    save_records(tmp_path, failed_call(), reminder_call(), dial_in_call(), hotline_call())
    result = cli("export", "--jsonl", "--data-dir", tmp_path)
    assert (result.code, result.err) == (0, "")
    assert [json.loads(line) for line in result.out.splitlines()] == [
        record.as_json() for record in (reminder_call(), hotline_call(), dial_in_call(), failed_call())
    ]


def test_each_line_reads_back_as_the_record(cli: CLI, tmp_path: Path) -> None:
    save_records(tmp_path, reminder_call(), hotline_call())
    lines = cli("export", "--jsonl", "--data-dir", tmp_path).out.splitlines()
    assert [record_from_json(json.loads(line)) for line in lines] == [reminder_call(), hotline_call()]


def test_lines_are_compact_and_keep_non_ascii_text(cli: CLI, tmp_path: Path) -> None:
    record = reminder_call()
    record.transcript[0].text = "Hola Zoë, le llamamos de la clínica."
    save_records(tmp_path, record)
    (line,) = cli("export", "--jsonl", "--data-dir", tmp_path).out.splitlines()
    assert line.startswith('{"id":"call-0001","flow":"appointment-reminder",')
    assert "Hola Zoë, le llamamos de la clínica." in line


def test_without_jsonl_it_is_a_usage_error(cli: CLI, tmp_path: Path) -> None:
    result = cli("export", "--data-dir", tmp_path)
    assert (result.code, result.out) == (2, "")
    assert result.err == "callflow export: error: JSONL is the only export format for now: pass --jsonl\n"


def test_no_calls_is_empty_output_and_a_note_on_stderr(cli: CLI, tmp_path: Path) -> None:
    result = cli("export", "--jsonl", "--data-dir", tmp_path / "fresh")
    assert (result.code, result.out) == (0, "")
    assert result.err == f"no calls recorded in {tmp_path / 'fresh'} yet\n"


def test_a_corrupt_store_is_exit_2(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / STORE_FILENAME).write_bytes(b"\xde\xad\xbe\xef" * 2048)
    result = cli("export", "--jsonl", "--data-dir", tmp_path)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"callflow export: error: {tmp_path / STORE_FILENAME} is not a callflow database "
        "(file is not a database); move it away or pick another --data-dir\n"
    )


def test_a_reader_that_stops_early_ends_the_export_quietly(tmp_path: Path) -> None:
    # More than a pipe holds, so the export is still writing when the reader leaves.
    save_records(tmp_path, *(reminder_call(f"call-{number:04}", T0 + number) for number in range(300)))
    command = [sys.executable, "-c", "import sys; from runner.cli import main; sys.exit(main(sys.argv[1:]))"]
    environment = {**os.environ, "PYTHONPATH": str(PROJECT)}
    with subprocess.Popen(
        [*command, "export", "--jsonl", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert json.loads(process.stdout.readline())["id"] == "call-0000"
        process.stdout.close()
        assert (process.wait(), process.stderr.read()) == (0, b"")
