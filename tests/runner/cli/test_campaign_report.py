"""``callflow campaign report`` writing what a campaign run on the mock carrier left in the
store, and ``callflow campaign cancel`` stopping a campaign."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest

from runner.store import Campaign, NewRecipient, RecipientState, open_store
from tests.conftest import CLI, EXAMPLES

OUTAGE = EXAMPLES / "outage-notice.yaml"
STREET = 'name,phone\nAnn,+14155550100\n"=HYPERLINK(""x""), Bob",+14155550101\n@Cy,not a number\n'
FAST = ("--cps", "1000", "--concurrency", "5", "--skip-invalid")
# eta is an input of the flow with a default: a valid row keeps it, an invalid one has none.
HEADER = "name,phone,eta,outcome,attempts,call_ids,duration,answered_by,status\n"


@pytest.fixture
def config(mock_campaign_config: Path) -> Path:
    return mock_campaign_config


@pytest.fixture
def street(tmp_path: Path) -> Path:
    path = tmp_path / "street.csv"
    path.write_text(STREET, encoding="utf-8")
    return path


def recipients(data_dir: Path, name: str) -> list[RecipientState]:
    with open_store(data_dir) as store:
        return list(store.recipients(name))


def expected_report(data_dir: Path) -> str:
    """The report's text, each call's ids and duration as the store keeps them."""
    ann, bob, cy = recipients(data_dir, "street")
    assert [ann.status, bob.status, cy.status] == ["done", "done", "invalid"]
    return HEADER + (
        f"Ann,+14155550100,6 pm,completed,1,{ann.call_ids[0]},{ann.duration:g},,done\n"
        f'"\'=HYPERLINK(""x""), Bob",+14155550101,6 pm,completed,1,{bob.call_ids[0]},{bob.duration:g},,done\n'
        "'@Cy,not a number,,invalid,0,,,,invalid\n"
    )


def test_the_report_has_a_row_per_recipient_with_formulas_quoted(
    cli: CLI, config: Path, street: Path, tmp_path: Path
) -> None:
    assert cli("campaign", "run", OUTAGE, street, "--config", config, *FAST).code == 0
    result = cli("campaign", "report", "street", "--config", config)
    assert (result.code, result.err) == (0, "")
    assert result.out == expected_report(tmp_path / "data")
    rows = list(csv.reader(io.StringIO(result.out)))
    assert [row[0] for row in rows] == ["name", "Ann", '\'=HYPERLINK("x"), Bob', "'@Cy"]


def test_the_report_goes_to_out_and_says_where(cli: CLI, config: Path, street: Path, tmp_path: Path) -> None:
    assert cli("campaign", "run", OUTAGE, street, "--config", config, *FAST).code == 0
    out = tmp_path / "report.csv"
    result = cli("campaign", "report", "street", "--out", out, "--config", config)
    assert (result.code, result.err) == (0, "")
    assert result.out == f"report of campaign street: 3 recipients written to {out}\n"
    assert out.read_text(encoding="utf-8") == expected_report(tmp_path / "data")


def test_report_and_cancel_of_an_unknown_campaign_name_the_known_ones(
    cli: CLI, config: Path, street: Path
) -> None:
    data_dir = config.parent.parent / "data"
    for action in ("report", "cancel"):
        result = cli("campaign", action, "street", "--config", config)
        assert (result.code, result.out) == (2, "")
        assert result.err == (
            f"callflow campaign: error: no campaign named 'street' in {data_dir} (known: none yet)\n"
        )
    assert cli("campaign", "run", OUTAGE, street, "--config", config, *FAST).code == 0
    for action in ("report", "cancel"):
        result = cli("campaign", action, "avenue", "--config", config)
        assert (result.code, result.out) == (2, "")
        assert result.err == (
            f"callflow campaign: error: no campaign named 'avenue' in {data_dir} (known: street)\n"
        )


def test_a_done_campaign_has_nothing_to_cancel(cli: CLI, config: Path, street: Path) -> None:
    assert cli("campaign", "run", OUTAGE, street, "--config", config, *FAST).code == 0
    result = cli("campaign", "cancel", "street", "--config", config)
    assert (result.code, result.out) == (1, "")
    assert result.err == "callflow campaign: error: campaign street is done: nothing to cancel\n"


def test_a_cancelled_campaign_is_not_dialled_again(
    cli: CLI, config: Path, street: Path, tmp_path: Path
) -> None:
    # A campaign started and not finished, as a run interrupted before its first call leaves it.
    with open_store(tmp_path / "data") as store:
        store.create_campaign(
            Campaign(
                name="street",
                flow="outage-notice",
                flow_path=str(OUTAGE),
                recipients_path=str(street),
                recipients_sha256=hashlib.sha256(STREET.encode()).hexdigest(),
                options={},
                state="running",
                created_at=1_714_555_800.0,
                updated_at=1_714_555_800.0,
            ),
            [NewRecipient(2, "+14155550100", {"name": "Ann", "phone": "+14155550100"})],
        )
    result = cli("campaign", "cancel", "street", "--config", config)
    assert (result.code, result.err) == (0, "")
    assert result.out == "campaign street cancelled: no new call is placed; calls in flight finish\n"
    again = cli("campaign", "cancel", "street", "--config", config)
    assert (again.code, again.out, again.err) == (0, "campaign street is already cancelled\n", "")
    status = cli("campaign", "status", "street", "--config", config)
    assert status.out.startswith("campaign street: cancelled, ")
    run = cli("campaign", "run", OUTAGE, street, "--config", config, *FAST)
    assert (run.code, run.out) == (1, "")
    assert run.err == "callflow campaign: error: campaign street was cancelled: it is not dialled again\n"
    assert [recipient.call_ids for recipient in recipients(tmp_path / "data", "street")] == [[]]


@pytest.mark.parametrize(
    ("action", "exit_status"),
    [
        (
            "report",
            "exit status: 0 written, 2 no campaign of that name (the known ones are listed), an unreadable "
            "store or an --out file that cannot be written.",
        ),
        (
            "cancel",
            "exit status: 0 cancelled (or already cancelled), 1 the campaign is done: nothing to cancel, "
            "2 no campaign of that name (the known ones are listed) or an unreadable store.",
        ),
    ],
)
def test_help_lists_the_exit_statuses(cli: CLI, action: str, exit_status: str) -> None:
    result = cli("campaign", action, "--help")
    assert (result.code, result.err) == (0, "")
    one_line = " ".join(result.out.split())
    assert exit_status in one_line
    if action == "report":
        assert "leading single quote" in one_line
    else:
        assert "lets the calls in flight finish" in one_line
