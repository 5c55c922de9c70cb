"""``callflow campaign run`` dialing for real on the mock carrier, and ``campaign status``
and ``campaign list`` reading what it left in the store."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from runner.store import STORE_FILENAME, StoreError, open_store
from tests.conftest import CLI, EXAMPLES, PROJECT

OUTAGE = EXAMPLES / "outage-notice.yaml"
NUMBERS = [f"+1415555010{index}" for index in range(5)]
STREET = "name,phone\n" + "".join(f"R{index},{number}\n" for index, number in enumerate(NUMBERS))
FAST = ("--cps", "1000", "--concurrency", "5")


@pytest.fixture
def config(mock_campaign_config: Path) -> Path:
    return mock_campaign_config


@pytest.fixture
def street(tmp_path: Path) -> Path:
    path = tmp_path / "street.csv"
    path.write_text(STREET, encoding="utf-8")
    return path


def dialled(data_dir: Path) -> Counter[str]:
    """Every call in the store, by the number it went to."""
    with open_store(data_dir) as store:
        return Counter(record.to_number for record in store.all())


def test_every_recipient_answered_is_called_once(
    cli: CLI, config: Path, street: Path, tmp_path: Path
) -> None:
    result = cli("campaign", "run", OUTAGE, street, "--config", config, *FAST)
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        "campaign street: done\n"
        "  recipients: 5 (done 5)\n"
        "  outcomes:   completed 5\n"
        "this run: 5 calls placed, 0 retries scheduled\n"
        f"report: {tmp_path / 'data' / 'campaigns' / 'street.csv'}\n"
        "see it again: callflow campaign status street\n"
    )
    assert dialled(tmp_path / "data") == Counter(NUMBERS)
    report = (tmp_path / "data" / "campaigns" / "street.csv").read_text(encoding="utf-8").splitlines()
    assert report[0] == "name,phone,eta,outcome,attempts,call_ids,duration,answered_by,status"
    assert [row.split(",")[:5] for row in report[1:]] == [
        [f"R{index}", number, "6 pm", "completed", "1"] for index, number in enumerate(NUMBERS)
    ]
    status = cli("campaign", "status", "street", "--config", config)
    assert (status.code, status.err) == (0, "")
    assert status.out == (
        f"campaign street: done, flow outage-notice, {street}\n"
        "  recipients: 5 (done 5)\n"
        "  outcomes:   completed 5\n"
    )
    listed = cli("campaign", "list", "--config", config)
    assert listed.out == "street  done       5/5 settled  completed 5\n"


def test_the_same_name_again_is_already_done_and_calls_no_one(
    cli: CLI, config: Path, street: Path, tmp_path: Path
) -> None:
    assert cli("campaign", "run", OUTAGE, street, "--config", config, *FAST).code == 0
    again = cli("campaign", "run", OUTAGE, street, "--config", config, *FAST)
    assert (again.code, again.err) == (0, "")
    assert again.out.splitlines()[0] == "campaign street is already done: no call placed"
    assert dialled(tmp_path / "data") == Counter(NUMBERS)


def test_a_busy_line_is_tried_max_attempts_times(
    cli: CLI, config: Path, street: Path, tmp_path: Path
) -> None:
    result = cli(
        "campaign", "run", OUTAGE, street, "--config", config, *FAST, "--json",
        "--mock-outcomes", "busy=1", "--seed", "1", "--max-attempts", "2", "--retry-delay", "0.01",
    )  # fmt: skip
    assert (result.code, result.err) == (0, "")
    assert result.json() == {
        "name": "street",
        "state": "done",
        "counts": {"busy": 5},
        "by_status": {"done": 5},
        "recipients": 5,
        "calls_placed": 10,
        "retries": 5,
        "report": str(tmp_path / "data" / "campaigns" / "street.csv"),
    }
    assert dialled(tmp_path / "data") == Counter(dict.fromkeys(NUMBERS, 2))
    status = cli("campaign", "status", "street", "--config", config, "--json")
    assert status.json()["by_outcome"] == {"busy": 5}


def test_a_recipients_file_changed_since_the_start_is_refused(
    cli: CLI, config: Path, street: Path, tmp_path: Path
) -> None:
    assert cli("campaign", "run", OUTAGE, street, "--config", config, *FAST).code == 0
    before = dialled(tmp_path / "data")
    street.write_text(STREET + "R9,+14155550109\n", encoding="utf-8")
    result = cli("campaign", "run", OUTAGE, street, "--config", config, *FAST)
    assert result.code == 2
    assert result.out == ""
    old, new = (hashlib.sha256(text.encode()).hexdigest()[:12] for text in (STREET, street.read_text()))
    assert result.err == (
        f"callflow campaign: error: recipients file changed since campaign street started: {street} is "
        f"sha256 {new}, {street} was {old}; start a new campaign under another name (--name)\n"
    )
    assert dialled(tmp_path / "data") == before


def test_an_invalid_row_places_no_call_and_creates_no_campaign(
    cli: CLI, config: Path, street: Path, tmp_path: Path
) -> None:
    street.write_text(STREET + "R9,not a number\n", encoding="utf-8")
    result = cli("campaign", "run", OUTAGE, street, "--config", config, *FAST)
    assert result.code == 1
    assert result.out.splitlines()[0].startswith(f"{street}:7: column phone: ")
    listed = cli("campaign", "list", "--config", config)
    assert (listed.code, listed.out) == (0, "no campaigns yet\n")


def test_skip_invalid_dials_the_valid_rows_and_keeps_the_rest_invalid(
    cli: CLI, config: Path, street: Path, tmp_path: Path
) -> None:
    street.write_text(STREET + "R9,not a number\n", encoding="utf-8")
    result = cli(
        "campaign", "run", OUTAGE, street, "--config", config, *FAST, "--skip-invalid", "--name", "x"
    )
    assert result.code == 0, result.err
    assert result.out.splitlines()[1:3] == [
        "  recipients: 6 (done 5, invalid 1)",
        "  outcomes:   completed 5, invalid 1",
    ]
    assert dialled(tmp_path / "data") == Counter(NUMBERS)


def test_an_unknown_campaign_names_the_known_ones(cli: CLI, config: Path, street: Path) -> None:
    assert cli("campaign", "status", "street", "--config", config).err == (
        f"callflow campaign: error: no campaign named 'street' in {config.parent.parent / 'data'} (known: none yet)\n"
    )
    assert cli("campaign", "run", OUTAGE, street, "--config", config, *FAST).code == 0
    result = cli("campaign", "status", "avenue", "--config", config)
    assert result.code == 2
    assert result.err == (
        f"callflow campaign: error: no campaign named 'avenue' in {config.parent.parent / 'data'} (known: street)\n"
    )


# A terminal's Ctrl-C raises KeyboardInterrupt; a process started in the background of a
# shell may have SIGINT ignored instead, so the test says which it wants.
CALLFLOW = [
    sys.executable,
    "-c",
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from runner.cli import run; run()",
]


def calls_so_far(data_dir: Path) -> int:
    """The calls in the store of a campaign another process is running; 0 before it has one."""
    if not (data_dir / STORE_FILENAME).exists():
        return 0
    try:
        return sum(dialled(data_dir).values())
    except StoreError:  # the other process is creating it
        return 0


def test_ctrl_c_stops_dialing_and_the_same_command_resumes(cli: CLI, config: Path, tmp_path: Path) -> None:
    numbers = [f"+1415555{index:04d}" for index in range(20)]
    street = tmp_path / "street.csv"
    street.write_text("name,phone\n" + "".join(f"R,{number}\n" for number in numbers), encoding="utf-8")
    argv = ["campaign", "run", str(OUTAGE), str(street), "--config", str(config), "--cps", "1"]
    campaign = subprocess.Popen(
        [*CALLFLOW, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    data_dir = tmp_path / "data"
    deadline = time.monotonic() + 20
    while calls_so_far(data_dir) < 2:
        assert time.monotonic() < deadline, "the campaign placed no call"
        time.sleep(0.05)
    campaign.send_signal(signal.SIGINT)
    out, err = campaign.communicate(timeout=30)
    assert campaign.returncode == 130, err
    assert err.endswith(
        "campaign street stopped: calls in flight finished; run the same command to resume it\n"
    )
    assert "campaign street: running\n" in out
    placed = dialled(data_dir)
    assert 2 <= sum(placed.values()) < 20
    resumed = cli(*argv[:-2], "--cps", "1000")
    assert (resumed.code, resumed.err) == (0, "")
    assert dialled(data_dir) == Counter(numbers)


def test_many_calls_at_once_on_the_mock_carrier_are_not_refused_as_one_noisy_address(
    cli: CLI, config: Path, tmp_path: Path
) -> None:
    # The mock carrier posts every call's webhooks from 127.0.0.1: more calls in flight
    # than webhook_security.max_in_flight_per_address (8) must not be refused with 429s,
    # which would fail calls and retry them.
    numbers = [f"+1415555{index:04d}" for index in range(40)]
    crowd = tmp_path / "crowd.csv"
    crowd.write_text("name,phone\n" + "".join(f"R,{number}\n" for number in numbers), encoding="utf-8")
    result = cli(
        "campaign", "run", OUTAGE, crowd, "--config", config, "--cps", "1000", "--concurrency", "40", "--json"
    )
    assert (result.code, result.err) == (0, "")
    assert (result.json()["counts"], result.json()["retries"]) == ({"completed": 40}, 0)
    assert dialled(tmp_path / "data") == Counter(numbers)


def test_a_campaign_killed_mid_run_is_resumed_without_calling_anyone_reached_again(
    cli: CLI, config: Path, tmp_path: Path
) -> None:
    numbers = [f"+1415555{index:04d}" for index in range(20)]
    street = tmp_path / "street.csv"
    street.write_text("name,phone\n" + "".join(f"R,{number}\n" for number in numbers), encoding="utf-8")
    argv = ["campaign", "run", str(OUTAGE), str(street), "--config", str(config), "--cps", "3"]
    campaign = subprocess.Popen(
        [*CALLFLOW, *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    data_dir = tmp_path / "data"
    deadline = time.monotonic() + 20
    while calls_so_far(data_dir) < 4:
        assert time.monotonic() < deadline, "the campaign placed no call"
        time.sleep(0.01)
    campaign.send_signal(signal.SIGKILL)
    assert campaign.wait(timeout=10) == -signal.SIGKILL
    killed_with = calls_so_far(data_dir)
    assert killed_with < len(numbers)

    resumed = cli(*argv[:-2], "--cps", "1000", "--retry-delay", "0", "--json")
    assert (resumed.code, resumed.err) == (0, "")
    assert resumed.json()["counts"] == {"completed": 20}
    # Everyone was called; a second call went only to someone whose first was never
    # answered (it was ringing when the process died, and the carrier went with it).
    with open_store(data_dir) as store:
        records = sorted(store.all(), key=lambda record: record.created_at)
    calls_to: dict[str, list[float | None]] = {}
    for record in records:
        assert record.to_number is not None
        calls_to.setdefault(record.to_number, []).append(record.answered_at)
    assert sorted(calls_to) == numbers
    for number, answers in calls_to.items():
        assert all(answered is None for answered in answers[:-1]), (number, answers)
        assert answers[-1] is not None, number
