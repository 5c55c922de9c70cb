"""``callflow campaign run --dry-run``: every recipient checked before any call."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CLI, EXAMPLES

OUTAGE = EXAMPLES / "outage-notice.yaml"
OUTAGE_CSV = EXAMPLES / "outage-notice.csv"

#: A notify flow with an input of each kind a cell is checked against.
VISIT = """
version: 1
name: visit
mode: notify
inputs:
  name: {type: string}
  phone: {type: phone}
  slot: {type: integer, default: 1}
  day: {type: string, enum: [monday, friday], default: monday}
to: "{{ phone }}"
greeting: "Hello {{ name }}, see you {{ day }} at slot {{ slot }}."
"""

WriteCsv = Callable[..., Path]


@pytest.fixture
def visit(write_flow: Callable[[str], Path]) -> Path:
    return write_flow(VISIT, "visit.yaml")


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """Write the recipients file as bytes, so line endings and BOMs are exactly as given."""

    def write(text: str, *, newline: str = "\n", bom: bool = False) -> Path:
        path = tmp_path / "recipients.csv"
        data = text.replace("\n", newline).encode()
        path.write_bytes(b"\xef\xbb\xbf" + data if bom else data)
        return path

    return write


def dry_run(cli: CLI, flow: Path, recipients: Path, *argv: str) -> tuple[int, list[str]]:
    result = cli("campaign", "run", flow, recipients, "--dry-run", *argv)
    assert "Traceback" not in result.err
    return result.code, result.out.splitlines()


def test_the_example_dry_run_prints_the_plan(cli: CLI) -> None:
    result = cli("campaign", "run", OUTAGE, OUTAGE_CSV, "--dry-run", "--region", "US")
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        f"{OUTAGE_CSV}: 4 calls of flow 'outage-notice' (dry run: none placed)\n"
        "the first 3 calls say:\n"
        "  line 2, +14155550100: Hello Ada Lovelace. Power in your street is back by 6 pm.\n"
        "  line 3, +14155550101: Hello Grace Hopper. Power in your street is back by 6 pm.\n"
        "  line 4, +14155550102: Hello Hopper, Grace. Power in your street is back by noon, or sooner.\n"
        # 4 calls at 1 a second, then 69 characters at 15 a second.
        "estimated duration: 9 s at 1 call a second (4 calls started, then 5 s of the longest call's speech)\n"
        "longest message: 69 characters, line 4\n"
    )


def test_json_gives_the_same_facts_and_the_problems(cli: CLI) -> None:
    result = cli("campaign", "run", OUTAGE, OUTAGE_CSV, "--dry-run", "--json", "--cps", "2")
    assert result.code == 1
    assert result.json() == {
        "file": str(OUTAGE_CSV),
        "flow": "outage-notice",
        "rows": 4,
        "calls": 0,
        "invalid": 1,
        "invalid_lines": [3],
        "skip_invalid": False,
        "preview": [],
        "cps": 2.0,
        "estimated_seconds": 0.0,
        "longest_message": None,
        "problems": [
            {
                "file": str(OUTAGE_CSV),
                "line": 3,
                "column": "phone",
                "severity": "error",
                "message": "'(415) 555-0101' has no country code: write it as +<country code><number>, "
                "or give the country of national numbers with --region (say --region US)",
            }
        ],
    }


def test_json_of_a_valid_file(cli: CLI) -> None:
    result = cli("campaign", "run", OUTAGE, OUTAGE_CSV, "--dry-run", "--json", "--region", "US", "--cps", "2")
    assert result.code == 0
    facts = result.json()
    assert (facts["calls"], facts["invalid"], facts["problems"]) == (4, 0, [])
    assert facts["preview"][0] == {
        "line": 2,
        "to": "+14155550100",
        "says": ["Hello Ada Lovelace. Power in your street is back by 6 pm."],
    }
    assert facts["estimated_seconds"] == 6.6  # 4 calls at 2 a second, then 69 characters at 15 a second
    assert facts["longest_message"] == {"characters": 69, "line": 4}
    assert "window" not in facts


def test_the_dry_run_says_the_calling_window(cli: CLI) -> None:
    argv = ("campaign", "run", OUTAGE, OUTAGE_CSV, "--dry-run", "--region", "US", "--window", "9:00-20:30")
    result = cli(*argv)
    assert result.code == 0
    assert result.out.splitlines()[-1] == (
        "calling window: 09:00-20:30 in each recipient's local time; a recipient outside it waits "
        "for it (the estimate leaves the waits out)"
    )
    assert cli(*argv, "--json").json()["window"] == "09:00-20:30"


def test_a_national_number_needs_a_region(cli: CLI, visit: Path, write_csv: WriteCsv) -> None:
    recipients = write_csv("name,phone\nAda,(415) 555-0123\n")
    code, lines = dry_run(cli, visit, recipients)
    assert code == 1
    assert lines[0] == (
        f"{recipients}:2: column phone: '(415) 555-0123' has no country code: write it as "
        "+<country code><number>, or give the country of national numbers with --region (say --region US)"
    )
    code, lines = dry_run(cli, visit, recipients, "--region", "us")
    assert code == 0
    assert lines[2] == "  line 2, +14155550123: Hello Ada, see you monday at slot 1."


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Ada,+14155550100,two,monday", "column slot: input 'slot' is an integer, found 'two'"),
        ("Ada,+14155550100,2,sunday", "column day: input 'day' is one of monday, friday, found 'sunday'"),
        ("Ada,+1 415 555,2,monday", "column phone: '+1 415 555' is not a valid phone number"),
        ("Ada,call me,2,monday", "column phone: 'call me' is not a phone number"),
        (
            "Ada,+999 123 4567,2,monday",
            "column phone: '+999 123 4567' has a country code that does not exist",
        ),
        ("Ada,,2,monday", "column phone: expected a phone number, found an empty cell"),
        (",+14155550100,2,monday", "column name: input 'name' needs a value, found an empty cell"),
        ("Ada,+14155550100,2", "the row has 3 cells and the header 4 columns"),
    ],
)
def test_an_invalid_cell_is_reported_at_its_line(
    cli: CLI, visit: Path, write_csv: WriteCsv, row: str, message: str
) -> None:
    recipients = write_csv(f"name,phone,slot,day\nBo,+14155550101,1,friday\n{row}\n")
    code, lines = dry_run(cli, visit, recipients)
    assert code == 1
    assert lines == [
        f"{recipients}:3: {message}",
        f"{recipients}: 2 rows, 1 invalid: no call is placed while a row is invalid "
        "(fix it, or give --skip-invalid to leave it out)",
    ]


def test_every_problem_of_a_row_is_listed_at_once(cli: CLI, visit: Path, write_csv: WriteCsv) -> None:
    recipients = write_csv("name,phone,slot,day\nAda,555,x,sunday\n")
    code, lines = dry_run(cli, visit, recipients)
    assert code == 1
    assert lines[:3] == [
        f"{recipients}:2: column phone: '555' has no country code: write it as +<country code><number>, "
        "or give the country of national numbers with --region (say --region US)",
        f"{recipients}:2: column slot: input 'slot' is an integer, found 'x'",
        f"{recipients}:2: column day: input 'day' is one of monday, friday, found 'sunday'",
    ]


def test_an_empty_cell_takes_the_default(cli: CLI, visit: Path, write_csv: WriteCsv) -> None:
    code, lines = dry_run(cli, visit, write_csv("name,phone,slot,day\nAda,+14155550100,,\n"))
    assert code == 0
    assert lines[2] == "  line 2, +14155550100: Hello Ada, see you monday at slot 1."


def test_a_missing_column_is_reported_once_at_the_header(cli: CLI, visit: Path, write_csv: WriteCsv) -> None:
    recipients = write_csv("phone,slot\n+14155550100,1\n+14155550101,x\n+14155550102,3\n")
    code, lines = dry_run(cli, visit, recipients)
    assert code == 1
    assert lines == [
        f"{recipients}:1: column name: missing: flow 'visit' needs input 'name' (string)",
        f"{recipients}:3: column slot: input 'slot' is an integer, found 'x'",
        f"{recipients}: 3 rows, 3 invalid: no call is placed while a row is invalid "
        "(fix it, or give --skip-invalid to leave it out)",
    ]


def test_a_timezone_column_is_checked_and_no_extra_column(cli: CLI, visit: Path, write_csv: WriteCsv) -> None:
    recipients = write_csv(
        "name,phone,timezone\nAda,+14155550100,Europe/Paris\nBo,+14155550101,\nCy,+14155550102,Mars/Olympus\n"
    )
    code, lines = dry_run(cli, visit, recipients)
    assert code == 1
    assert lines == [
        f"{recipients}:4: column timezone: unknown time zone 'Mars/Olympus' (an IANA name, as America/New_York)",
        f"{recipients}: 3 rows, 1 invalid: no call is placed while a row is invalid "
        "(fix it, or give --skip-invalid to leave it out)",
    ]


def test_an_extra_column_is_a_warning_once(cli: CLI, visit: Path, write_csv: WriteCsv) -> None:
    recipients = write_csv("name,phone,notes\nAda,+14155550100,VIP\nBo,+14155550101,\n")
    code, lines = dry_run(cli, visit, recipients)
    assert code == 0
    assert lines[:2] == [
        f"{recipients}:1: column notes: warning: not an input of flow 'visit' "
        "(inputs: name, phone, slot, day); its cells are ignored",
        f"{recipients}: 2 calls of flow 'visit' (dry run: none placed)",
    ]


def test_a_duplicate_number_is_reported_at_the_later_line(cli: CLI, visit: Path, write_csv: WriteCsv) -> None:
    recipients = write_csv("name,phone\nAda,+14155550123\nBo,+14155550100\nAda again,(415) 555-0123\n")
    code, lines = dry_run(cli, visit, recipients, "--region", "US")
    assert code == 1
    assert lines[0] == (
        f"{recipients}:4: column phone: +14155550123 is already called for line 2: a duplicate recipient"
    )


def test_a_template_error_is_a_problem_of_its_row(
    cli: CLI, write_flow: Callable[[str], Path], write_csv: WriteCsv
) -> None:
    flow = write_flow(
        """
        version: 1
        name: share
        inputs:
          phone: {type: phone}
          people: {type: integer}
        to: "{{ phone }}"
        greeting: "Each of you gets {{ 12 // people }} slices."
        """
    )
    recipients = write_csv("phone,people\n+14155550100,3\n+14155550101,0\n")
    code, lines = dry_run(cli, flow, recipients)
    assert code == 1
    assert lines[0] == f"{recipients}:3: template error in greeting: integer division or modulo by zero"


def test_a_text_over_the_carriers_say_limit_is_a_problem(cli: CLI, visit: Path, write_csv: WriteCsv) -> None:
    recipients = write_csv(f"name,phone\nAda,+14155550100\n{'A' * 4100},+14155550101\n")
    code, lines = dry_run(cli, visit, recipients)
    assert code == 1
    assert lines[0] == (
        f"{recipients}:3: twilio: <Say> text is 4,133 characters long, over the limit of 4,096 "
        "(it starts 'Hello AAAAAAAAAAAAAAAAAA...')"
    )


def test_the_configured_carriers_limits_apply(
    cli: CLI, visit: Path, write_csv: WriteCsv, tmp_path: Path
) -> None:
    config = tmp_path / "callflow.yaml"
    config.write_text("provider: plivo\n", encoding="utf-8")
    recipients = write_csv(f"name,phone\n{'A' * 4100},+14155550101\n")
    code, _ = dry_run(cli, visit, recipients, "--config", str(config))
    assert code == 0  # Plivo's <Speak> has no such limit


def test_skip_invalid_leaves_the_invalid_rows_out(cli: CLI, visit: Path, write_csv: WriteCsv) -> None:
    recipients = write_csv("name,phone\nAda,+14155550100\nBo,nope\nCy,+14155550102\n")
    code, lines = dry_run(cli, visit, recipients, "--skip-invalid")
    assert code == 0
    assert lines[:5] == [
        f"{recipients}:3: column phone: 'nope' is not a phone number",
        f"{recipients}: 2 calls of flow 'visit', 1 invalid row left out (dry run: none placed)",
        "the first 2 calls say:",
        "  line 2, +14155550100: Hello Ada, see you monday at slot 1.",
        "  line 4, +14155550102: Hello Cy, see you monday at slot 1.",
    ]
    facts = cli("campaign", "run", visit, recipients, "--dry-run", "--skip-invalid", "--json").json()
    assert (facts["calls"], facts["invalid"], facts["invalid_lines"]) == (2, 1, [3])


def test_quoted_fields_with_commas_and_newlines_keep_line_numbers(
    cli: CLI, visit: Path, write_csv: WriteCsv
) -> None:
    recipients = write_csv('name,phone\n"Ada, the\nCountess",+14155550100\nBo,bad\n')
    code, lines = dry_run(cli, visit, recipients, "--skip-invalid")
    assert code == 0
    assert lines[0] == f"{recipients}:4: column phone: 'bad' is not a phone number"
    # The preview keeps to one line a call; the JSON has the text as spoken.
    assert lines[3] == "  line 2, +14155550100: Hello Ada, the Countess, see you monday at slot 1."


@pytest.mark.parametrize(("newline", "bom"), [("\r\n", False), ("\n", True), ("\r\n", True)])
def test_crlf_and_bom_read_as_plain_csv(
    cli: CLI, visit: Path, write_csv: WriteCsv, newline: str, bom: bool
) -> None:
    recipients = write_csv('name,phone\n"Ada\nLovelace",+14155550100\nBo,bad\n', newline=newline, bom=bom)
    code, lines = dry_run(cli, visit, recipients)
    assert code == 1
    assert lines[0] == f"{recipients}:4: column phone: 'bad' is not a phone number"
    facts = cli("campaign", "run", visit, recipients, "--dry-run", "--json", "--skip-invalid").json()
    assert facts["preview"][0]["says"] == [f"Hello Ada{newline}Lovelace, see you monday at slot 1."]


def test_a_cell_with_template_braces_is_spoken_as_written(cli: CLI, visit: Path, write_csv: WriteCsv) -> None:
    recipients = write_csv("name,phone\n{{ 6 * 7 }} {% if true %}x{% endif %},+14155550100\n")
    code, lines = dry_run(cli, visit, recipients)
    assert code == 0
    assert (
        lines[2]
        == "  line 2, +14155550100: Hello {{ 6 * 7 }} {% if true %}x{% endif %}, see you monday at slot 1."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", " is empty: it needs a header row naming the columns"),
        ("name,,phone\n", ":1: the header's column 2 has no name"),
        ("name,phone,name\n", ":1: the header names column 'name' twice"),
    ],
)
def test_a_file_without_a_usable_header_is_refused(
    cli: CLI, visit: Path, write_csv: WriteCsv, text: str, message: str
) -> None:
    recipients = write_csv(text)
    result = cli("campaign", "run", visit, recipients, "--dry-run")
    assert result.code == 2
    assert result.err == f"callflow campaign: error: {recipients}{message}\n"


def test_a_file_that_is_not_utf8_is_refused(cli: CLI, visit: Path, tmp_path: Path) -> None:
    recipients = tmp_path / "latin1.csv"
    recipients.write_bytes("name,phone\nJosé,+14155550100\n".encode("latin-1"))
    result = cli("campaign", "run", visit, recipients, "--dry-run")
    assert result.code == 2
    assert result.err == (
        f"callflow campaign: error: {recipients} is not UTF-8 text (byte 15); save it as CSV UTF-8\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--region", "XX"), "--region: 'XX' is not a country code such as US, GB or DE (ISO 3166 alpha-2)"),
        (("--cps", "0"), "argument --cps: expected more than 0 calls a second, found '0'"),
        (("--cps", "fast"), "argument --cps: expected a number of calls a second, found 'fast'"),
        (
            ("--window", "9-17"),
            "argument --window: a calling window is HH:MM-HH:MM, as 09:00-20:00, not '9-17'",
        ),
        (
            ("--window", "17:00-17:00"),
            "argument --window: the calling window '17:00-17:00' starts when it ends",
        ),
    ],
)
def test_bad_arguments_are_usage_errors(cli: CLI, argv: tuple[str, ...], message: str) -> None:
    result = cli("campaign", "run", OUTAGE, OUTAGE_CSV, "--dry-run", *argv)
    assert result.code == 2
    assert message in result.err


def test_a_missing_recipients_file_is_a_usage_error(cli: CLI, tmp_path: Path) -> None:
    result = cli("campaign", "run", OUTAGE, tmp_path / "nobody.csv", "--dry-run")
    assert result.code == 2
    assert result.err == (
        f"callflow campaign: error: cannot read {tmp_path / 'nobody.csv'}: No such file or directory\n"
    )


@pytest.mark.parametrize(
    ("flow", "message"),
    [
        (
            EXAMPLES / "appointment-reminder.yaml",
            "flow 'appointment-reminder' is mode conversation; campaigns run notify flows (mode: notify)",
        ),
        (
            EXAMPLES / "inbound-hotline.yaml",
            "flow 'inbound-hotline' has no 'to': it dials no one, so it has no recipients",
        ),
    ],
)
def test_a_flow_that_cannot_run_a_campaign_is_refused(cli: CLI, flow: Path, message: str) -> None:
    result = cli("campaign", "run", flow, OUTAGE_CSV, "--dry-run")
    assert result.code == 2
    assert result.err == f"callflow campaign: error: {message}\n"


@pytest.mark.parametrize(
    ("argv", "statuses"),
    [
        (("campaign", "--help"), "exit status: 0 done, 1 problems found or calls left unsettled, 2 bad"),
        (("campaign", "run", "--help"), "exit status: 0 every row is valid (dry run) or every recipient"),
        (
            ("campaign", "run", "--help"),
            "1 invalid rows (none called), or calls left unsettled; 2 bad arguments",
        ),
        (("campaign", "status", "--help"), "exit status: 0 shown, 2 no campaign of that name"),
        (("campaign", "list", "--help"), "exit status: 0 listed, 2 an unreadable store"),
    ],
)
def test_help_lists_the_exit_statuses(cli: CLI, argv: tuple[str, ...], statuses: str) -> None:
    result = cli(*argv)
    assert (result.code, result.err) == (0, "")
    assert statuses in " ".join(result.out.split())


def test_the_column_to_reads_is_a_phone_number_whatever_its_type(
    cli: CLI, write_flow: Callable[[str], Path], write_csv: WriteCsv
) -> None:
    flow = write_flow(
        """
        version: 1
        name: ring
        inputs:
          number: {type: string}
        to: "{{ number }}"
        greeting: "Calling {{ number }}."
        """
    )
    recipients = write_csv('number\n"(415) 555-0123"\nsoon\n')
    code, lines = dry_run(cli, flow, recipients, "--region", "US", "--skip-invalid")
    assert code == 0
    assert lines[:4] == [
        f"{recipients}:3: column number: 'soon' is not a phone number",
        f"{recipients}: 1 call of flow 'ring', 1 invalid row left out (dry run: none placed)",
        "the first call says:",
        "  line 2, +14155550123: Calling +14155550123.",
    ]
