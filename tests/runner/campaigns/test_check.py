"""A row's cells are data all the way to the carrier's document."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flows import load_flow
from runner.campaigns import NotifyScript, check_recipients, read_recipients
from runner.dialects import render
from runner.types import Speak

FLOW = """
version: 1
name: notice
inputs:
  name: {type: string}
  phone: {type: phone}
to: "{{ phone }}"
greeting: "Hello {{ name }}."
steps:
  note:
    set: {shout: "{{ name | upper }}"}
    say: "Again, {{ shout }}."
"""


def test_markup_and_braces_in_a_cell_are_escaped_in_the_twiml(
    write_flow: Callable[[str], Path], tmp_path: Path
) -> None:
    recipients = tmp_path / "recipients.csv"
    recipients.write_text('name,phone\n"<Say>Tom & {{ 1 + 1 }}</Say>",+14155550100\n', encoding="utf-8")
    script = NotifyScript(load_flow(write_flow(FLOW)), "mock")
    check = check_recipients(read_recipients(recipients), script, region=None)
    assert check.problems == []
    (recipient,) = check.recipients
    actions = [Speak(text) for text in recipient.spoken]
    document = render(script.dialect, actions, webhook_url="https://hooks.example/callflow", call_id="CA42")
    twiml = """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say>Hello &lt;Say&gt;Tom &amp; {{ 1 + 1 }}&lt;/Say&gt;.</Say>
  <Say>Again, &lt;SAY&gt;TOM &amp; {{ 1 + 1 }}&lt;/SAY&gt;.</Say>
</Response>
"""
    assert document == twiml


def test_a_number_on_several_lines_is_reported_on_each(
    write_flow: Callable[[str], Path], tmp_path: Path
) -> None:
    recipients = tmp_path / "recipients.csv"
    recipients.write_text(
        "name,phone\nAda,+1 555\nBob,+14155550100\nCy,+1 555\nDee,+14155550100\nEve,\n", encoding="utf-8"
    )
    script = NotifyScript(load_flow(write_flow(FLOW)), "mock")
    check = check_recipients(read_recipients(recipients), script, region=None)
    assert [problem.format() for problem in check.problems] == [
        f"{recipients}:2: column phone: '+1 555' is not a valid phone number",
        f"{recipients}:4: column phone: '+1 555' is not a valid phone number",
        f"{recipients}:5: column phone: +14155550100 is already called for line 3: a duplicate recipient",
        f"{recipients}:6: column phone: expected a phone number, found an empty cell",
    ]
    assert check.invalid_lines == [2, 4, 5, 6]
