"""``callflow latency``: turn latency and listen wait, as a table in ms or JSON in seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.store import STORE_FILENAME
from tests.conftest import CLI
from tests.runner.store import dial_in_call, failed_call, hotline_call, reminder_call, save_records

# Turn latencies 6.05, 9.5, 10.0 s; listen waits 1.25, 0.8, 7.5 s. The dial-in's turn
# has no input yet, and counts in neither.
ALL = (reminder_call(), hotline_call(), dial_in_call(), failed_call())

EMPTY = {"count": 0, "min": None, "max": None, "mean": None, "p50": None, "p90": None, "p99": None}


def test_prints_an_aligned_table_in_milliseconds(cli: CLI, tmp_path: Path) -> None:
    save_records(tmp_path, *ALL)
    result = cli("latency", "--data-dir", tmp_path)
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "4 calls, times in milliseconds",
        "              count     min      max    mean     p50      p90      p99",
        "turn latency      3  6050.0  10000.0  8516.7  9500.0  10000.0  10000.0",
        "listen wait       3   800.0   7500.0  3183.3  1250.0   7500.0   7500.0",
    ]


def test_json_is_in_seconds(cli: CLI, tmp_path: Path) -> None:
    save_records(tmp_path, *ALL)
    result = cli("latency", "--json", "--data-dir", tmp_path)
    assert result.code == 0
    assert result.json() == {
        "calls": 4,
        "turn_latency": {
            "count": 3,
            "min": 6.05,
            "max": 10.0,
            "mean": 8.516667,
            "p50": 9.5,
            "p90": 10.0,
            "p99": 10.0,
        },
        "listen_wait": {
            "count": 3,
            "min": 0.8,
            "max": 7.5,
            "mean": 3.183333,
            "p50": 1.25,
            "p90": 7.5,
            "p99": 7.5,
        },
    }


def test_last_takes_only_the_newest_calls(cli: CLI, tmp_path: Path) -> None:
    save_records(tmp_path, hotline_call(), reminder_call(), dial_in_call())
    result = cli("latency", "--last", "2", "--json", "--data-dir", tmp_path)
    assert result.json()["calls"] == 2
    assert result.json()["turn_latency"]["count"] == 2
    assert result.json()["turn_latency"]["min"] == 9.5


def test_calls_without_turns_say_so(cli: CLI, tmp_path: Path) -> None:
    save_records(tmp_path, failed_call(), dial_in_call())
    result = cli("latency", "--data-dir", tmp_path)
    assert (result.code, result.out) == (0, "no turns yet in 2 calls\n")
    result = cli("latency", "--json", "--data-dir", tmp_path)
    assert result.code == 0
    assert result.json() == {"calls": 2, "turn_latency": EMPTY, "listen_wait": EMPTY}


def test_a_missing_data_folder_has_no_calls_yet(cli: CLI, tmp_path: Path) -> None:
    result = cli("latency", "--data-dir", tmp_path / "fresh")
    assert (result.code, result.out, result.err) == (
        0,
        f"no calls recorded in {tmp_path / 'fresh'} yet\n",
        "",
    )
    result = cli("latency", "--json", "--data-dir", tmp_path / "fresh")
    assert result.json() == {"calls": 0, "turn_latency": EMPTY, "listen_wait": EMPTY}
    assert not (tmp_path / "fresh").exists()


@pytest.mark.parametrize("last", ["0", "-3", "ten"])
def test_last_must_be_a_positive_number(cli: CLI, tmp_path: Path, last: str) -> None:
    result = cli("latency", "--last", last, "--data-dir", tmp_path)
    assert result.code == 2
    assert "argument --last: expected" in result.err


def test_a_corrupt_store_is_exit_2(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / STORE_FILENAME).write_bytes(b"garbage" * 1000)
    result = cli("latency", "--data-dir", tmp_path)
    assert result.code == 2
    assert "is not a callflow database" in result.err
