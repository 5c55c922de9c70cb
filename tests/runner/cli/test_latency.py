"""``callflow latency``: turn latency and listen wait, as a table in ms or JSON in seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.store import STORE_FILENAME
from tests.conftest import CLI, EXAMPLES
from tests.runner.store import T0, dial_in_call, failed_call, hotline_call, reminder_call, save_records

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
        "simulated_left_out": 0,
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
    assert result.json() == {"calls": 2, "simulated_left_out": 0, "turn_latency": EMPTY, "listen_wait": EMPTY}


def test_a_missing_data_folder_has_no_calls_yet(cli: CLI, tmp_path: Path) -> None:
    result = cli("latency", "--data-dir", tmp_path / "fresh")
    assert (result.code, result.out, result.err) == (
        0,
        f"no calls recorded in {tmp_path / 'fresh'} yet\n",
        "",
    )
    result = cli("latency", "--json", "--data-dir", tmp_path / "fresh")
    assert result.json() == {"calls": 0, "simulated_left_out": 0, "turn_latency": EMPTY, "listen_wait": EMPTY}
    assert not (tmp_path / "fresh").exists()


def _simulate_a_reminder(cli: CLI) -> None:
    """A call kept in the data folder whose one turn takes 1 + 82 / 15 s on the simulated
    clock: the greeting and the prompt (82 characters at 15 a second), then the caller's
    second of reaction."""
    result = cli(
        "simulate", EXAMPLES / "appointment-reminder.yaml", "--var", "name=Ada", "--var", "phone=+14155550100",
        "--input", "1",
    )  # fmt: skip
    assert result.code == 0, result.err


def test_simulated_calls_are_left_out_unless_asked(cli: CLI, data_dir: Path) -> None:
    _simulate_a_reminder(cli)
    save_records(data_dir, reminder_call())
    _simulate_a_reminder(cli)
    result = cli("latency")
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "1 call, times in milliseconds (2 simulated left out; --include-simulated counts them)",
        "              count     min     max    mean     p50     p90     p99",
        "turn latency      1  6050.0  6050.0  6050.0  6050.0  6050.0  6050.0",
        "listen wait       1  1250.0  1250.0  1250.0  1250.0  1250.0  1250.0",
    ]
    figures = cli("latency", "--include-simulated", "--json").json()
    assert (figures["calls"], figures["simulated_left_out"]) == (3, 0)
    assert figures["turn_latency"]["count"] == 3
    assert (figures["turn_latency"]["min"], figures["turn_latency"]["max"]) == (6.05, round(1 + 82 / 15, 6))


def test_last_counts_the_newest_calls_that_are_not_simulated(cli: CLI, data_dir: Path) -> None:
    save_records(data_dir, hotline_call(), reminder_call(created_at=T0 + 120))
    _simulate_a_reminder(cli)
    figures = cli("latency", "--last", "1", "--json").json()
    assert (figures["calls"], figures["simulated_left_out"]) == (1, 1)
    assert figures["turn_latency"]["p50"] == 6.05


def test_only_simulated_calls_say_where_the_others_would_be(cli: CLI, data_dir: Path) -> None:
    _simulate_a_reminder(cli)
    result = cli("latency")
    assert (result.code, result.out) == (
        0,
        f"no calls in {data_dir} but simulated ones (1 simulated left out; --include-simulated counts them)\n",
    )


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
