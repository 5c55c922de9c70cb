"""A campaign renders each row's texts as the engine renders them when the call is answered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flows import load_flow
from runner.campaigns import NotifyScript, check_recipients, read_recipients
from runner.engine import render_text

#: Templates that reach Jinja's globals, filters, tests, ``set`` values and the empty builtins.
FLOW = """
version: 1
name: tally
mode: notify
inputs:
  name: {type: string}
  phone: {type: phone}
  count: {type: integer, default: 2}
to: "{{ '+1415' ~ phone[-7:] }}"
greeting: "{{ range(count) | join(', ') }} for {{ name | title }}{% if call is mapping %}.{% endif %}"
steps:
  note:
    set: {total: "{% set ns = namespace(n=0) %}{% for i in range(count) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}"}
    say: "{{ dict(a=total) }} {{ cycler('x', 'y').next() }} {{ last | length }}"
"""


def test_a_rows_texts_are_the_engines_own(write_flow: Callable[[str], Path], tmp_path: Path) -> None:
    recipients = tmp_path / "recipients.csv"
    recipients.write_text("name,phone,count\nada lovelace,+14155550100,4\nbob,+14155550101,\n")
    flow = load_flow(write_flow(FLOW))
    check = check_recipients(read_recipients(recipients), NotifyScript(flow, "mock"), region=None)
    assert check.problems == []
    assert [(each.number, each.spoken) for each in check.recipients] == [
        ("+14155550100", ("0, 1, 2, 3 for Ada Lovelace.", "{'a': '6'} x 0")),
        ("+14155550101", ("0, 1 for Bob.", "{'a': '1'} x 0")),
    ]
    assert flow.greeting is not None
    context = {"name": "ada lovelace", "phone": "+14155550100", "count": 4, "call": {}, "last": {}}
    assert render_text(flow.greeting, context, "greeting") == check.recipients[0].spoken[0]


def test_a_failing_template_says_what_the_engine_says(
    write_flow: Callable[[str], Path], tmp_path: Path
) -> None:
    recipients = tmp_path / "recipients.csv"
    recipients.write_text("name,phone,count\nada,+14155550100,0\n")
    flow = FLOW.replace(
        "{{ range(count) | join(', ') }}", "{{ 12 // count }} {{ range(count) | join(', ') }}"
    )
    check = check_recipients(
        read_recipients(recipients), NotifyScript(load_flow(write_flow(flow)), "mock"), region=None
    )
    assert [problem.format() for problem in check.problems] == [
        f"{recipients}:2: template error in greeting: integer division or modulo by zero"
    ]
    broken_to = FLOW.replace("phone[-7:]", "phone[-7:] ~ 12 // (phone | length - 12)")
    check = check_recipients(
        read_recipients(recipients), NotifyScript(load_flow(write_flow(broken_to)), "mock"), region=None
    )
    assert [problem.format() for problem in check.problems] == [
        f"{recipients}:2: column phone: flow 'tally': 'to' could not be rendered: "
        "integer division or modulo by zero"
    ]
