"""One broken flow per lint rule: the rule, the exact line and column, the exit code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.conftest import CLI


class Case(NamedTuple):
    rule: str
    position: str  # "line:column", 1-based
    exit_code: int
    message: str  # a part of the message that must be there
    flow: str
    also: frozenset[str] | set[str] = frozenset()  # rules the same mistake rightly sets off too


CONVERSATION_HEAD = """\
version: 1
name: broken
mode: conversation
"""

CASES = [
    Case("yaml-syntax", "3:1", 2, "not valid YAML", "version: 1\nname: [broken\n"),
    Case(
        "duplicate-key", "3:1", 1, "duplicate key 'name' (first at line 2)", "version: 1\nname: a\nname: b\n"
    ),
    Case(
        "key-type",
        "9:7",
        1,
        'found an integer (1); write it in quotes: "1"',
        CONVERSATION_HEAD
        + """\
steps:
  menu:
    say: Press 1.
    gather: {digits: 1}
    on:
      1: done
  done:
    hangup: true
""",
    ),
    Case(
        "yaml-tag",
        "3:7",
        1,
        "unsupported YAML tag '!shell'",
        "version: 1\nname: tagged\nmode: !shell notify\n",
    ),
    Case(
        "yaml-alias",
        "5:6",
        1,
        "refers to a node that contains it",
        CONVERSATION_HEAD + "steps:\n  a: &loop\n    - *loop\n",
        also={"wrong-type"},
    ),
    Case(
        "yaml-merge",
        "4:7",
        1,
        "a merge key (<<) takes a mapping",
        "version: 1\nname: merged\nvoice:\n  <<: 5\n",
    ),
    Case(
        "unknown-key",
        "7:5",
        1,
        "unknown key 'gahter' in step 'menu'; did you mean 'gather'?",
        CONVERSATION_HEAD + "steps:\n  menu:\n    say: Hi.\n    gahter: {digits: 1}\n",
    ),
    Case("missing-key", "1:1", 1, "missing required key 'name'", "version: 1\n"),
    Case(
        "missing-key",
        "1:1",
        1,
        "missing required key 'steps' (a conversation flow needs steps)",
        CONVERSATION_HEAD + "greeting: Hi.\n",
    ),
    Case(
        "missing-key",
        "6:5",
        1,
        "missing required key 'prompt' in step 'ask' (consult)",
        CONVERSATION_HEAD + "steps:\n  ask:\n    consult: {max_turns: 2}\n",
    ),
    Case(
        "wrong-type",
        "7:12",
        1,
        "expected a whole number in step 'menu' (pause), found 'long'",
        CONVERSATION_HEAD + "steps:\n  menu:\n    say: Hi.\n    pause: long\n",
    ),
    Case(
        "invalid-value",
        "1:10",
        1,
        "expected the number 1 in version, found the number 2",
        "version: 2\nname: future\n",
    ),
    Case(
        "invalid-value",
        "3:7",
        1,
        "expected one of 'notify', 'conversation' in mode, found 'notfy'; did you mean 'notify'?",
        "version: 1\nname: typo\nmode: notfy\n",
    ),
    Case(
        "invalid-value",
        "2:7",
        1,
        "expected lower-case words and digits joined by '-'",
        "version: 1\nname: Order Update\n",
    ),
    Case(
        "unknown-step",
        "9:12",
        1,
        "expected a step id in step 'menu' (on.1), found 'confimred'; did you mean 'confirmed'?",
        CONVERSATION_HEAD
        + """\
steps:
  menu:
    say: Press 1.
    gather: {digits: 1}
    on:
      "1": confimred
  confirmed:
    hangup: true
""",
        also={"unreachable-step"},
    ),
    Case(
        "unknown-step",
        "4:8",
        1,
        "expected a step id in start, found 'mian'; did you mean 'main'?",
        CONVERSATION_HEAD + "start: mian\nsteps:\n  main:\n    say: Hi.\n",
        also={"unreachable-step"},
    ),
    Case(
        "unreachable-step",
        "8:3",
        0,
        "step 'orphan' is never reached from the start step 'main'",
        CONVERSATION_HEAD + "steps:\n  main:\n    say: Hi.\n    hangup: true\n  orphan:\n    say: Never.\n",
    ),
    Case(
        "mode-dtmf-sequence",
        "4:1",
        1,
        "dtmf_sequence is only sent in a conversation",
        "version: 1\nname: notify-digits\ngreeting: Hi.\ndtmf_sequence: '1234#'\n",
    ),
    Case(
        "mode-machine",
        "4:1",
        1,
        "machine (answering machine detection) is only for notify calls",
        CONVERSATION_HEAD + "machine: {detect: true}\nsteps:\n  main:\n    say: Hi.\n",
    ),
    Case(
        "mode-notify-step",
        "6:5",
        1,
        "step 'ask' has 'gather', but a notify flow only speaks and hangs up",
        "version: 1\nname: notify-gather\nsteps:\n  ask:\n    say: Press 1.\n    gather: {digits: 1}\n",
    ),
    Case(
        "one-waiting-part",
        "8:5",
        1,
        "step 'ask' has both 'gather' and 'consult'",
        CONVERSATION_HEAD
        + "steps:\n  ask:\n    say: Hi.\n    gather: {digits: 1}\n    consult: {prompt: Help.}\n",
    ),
    Case(
        "on-without-gather",
        "7:5",
        1,
        "step 'ask' has 'on' but no 'gather'",
        CONVERSATION_HEAD + "steps:\n  ask:\n    say: Hi.\n    on: {any: ask}\n",
    ),
    Case(
        "next-and-hangup",
        "8:5",
        1,
        "step 'a' has both 'next' and 'hangup: true'",
        CONVERSATION_HEAD
        + "steps:\n  a:\n    say: Hi.\n    next: b\n    hangup: true\n  b:\n    say: Bye.\n",
    ),
    Case(
        "template-syntax",
        "4:11",
        1,
        "template error: unexpected '}'",
        'version: 1\nname: broken-template\ninputs: {name: {type: string}}\ngreeting: "Hi {{ name }"\n',
    ),
    Case(
        "template-syntax",
        "4:11",
        1,
        "template error: No filter named 'shout'",
        'version: 1\nname: unknown-filter\ninputs: {name: {type: string}}\ngreeting: "Hi {{ name | shout }}"\n',
    ),
    Case(
        "undefined-name",
        "7:11",
        1,
        "'nme' is not defined; did you mean 'name'?",
        "version: 1\nname: typo-name\ninputs:\n  name: {type: string}\ngreeting: |\n  Hello,\n  dear {{ nme }}.\n",
    ),
    Case(
        "undefined-name",
        "3:25",
        1,
        "'call' has no attribute 'caller' (it has id, from, to, direction)",
        'version: 1\nname: attribute\ngreeting: "From {{ call.caller }}"\n',
    ),
    Case(
        "undefined-name",
        "13:20",
        1,
        "'plan' is not set on every way to here; set it in an earlier step",
        CONVERSATION_HEAD
        + """\
steps:
  ask:
    say: Press 1 for gold.
    gather: {digits: 1}
    on: {"1": gold, "2": done}
  gold:
    set: {plan: gold}
    next: done
  done:
    say: "Plan: {{ plan }}."
""",
    ),
    Case(
        "undefined-name",
        "7:18",
        1,
        "'late' is not set on every way to here",
        CONVERSATION_HEAD + 'steps:\n  a:\n    set:\n      early: "{{ late }}"\n      late: x\n',
    ),
    Case(
        "undefined-name",
        "4:18",
        1,
        "'who' is not set on every way to here",
        CONVERSATION_HEAD + 'greeting: "Hi {{ who }}"\nsteps:\n  a:\n    set: {who: you}\n',
    ),
    Case(
        "reserved-name",
        "4:3",
        1,
        "'last' is a built-in name of templates",
        "version: 1\nname: reserved\ninputs:\n  last: {type: string}\n",
    ),
    Case(
        "phone-number",
        "3:5",
        1,
        "expected an E.164 phone number such as +14155550100",
        "version: 1\nname: bad-number\nto: '415-555-0100'\ngreeting: Hi.\n",
    ),
    Case(
        "phone-number",
        "4:33",
        1,
        "wrong length for its country",
        "version: 1\nname: short-number\ninputs:\n  phone: {type: phone, default: '+1555'}\n",
    ),
    Case(
        "dtmf-characters",
        "7:18",
        1,
        "expected DTMF characters 0-9 * # w W p P , in 'send_digits', found 'x'",
        CONVERSATION_HEAD + "steps:\n  dial:\n    say: Hi.\n    send_digits: 'ww12x#'\n",
    ),
    Case(
        "input-value",
        "4:35",
        1,
        "expected a whole number as default of input 'count' (type: integer), found 'five'",
        "version: 1\nname: bad-default\ninputs:\n  count: {type: integer, default: five}\n",
    ),
    Case(
        "input-value",
        "4:49",
        1,
        "to be one of its enum values ('en', 'fr'), found 'de'",
        "version: 1\nname: bad-enum\ninputs:\n  lang: {type: string, enum: [en, fr], default: de}\n",
    ),
    Case(
        "on-key",
        "9:7",
        1,
        "key '42' needs 2 digits, but step 'menu' gathers at most 1 (digits: 1)",
        CONVERSATION_HEAD
        + """\
steps:
  menu:
    say: Press 1.
    gather: {digits: 1}
    on:
      "42": menu
""",
    ),
    Case(
        "on-key",
        "9:7",
        1,
        "key 'confirm' is a speech keyword, but step 'menu' gathers only DTMF",
        CONVERSATION_HEAD
        + """\
steps:
  menu:
    say: Say confirm.
    gather: {digits: 1}
    on:
      confirm: menu
""",
    ),
    Case(
        "mode-audio",
        "3:1",
        1,
        "audio: streaming is for conversations: a notify call only speaks",
        "version: 1\nname: notify-streamed\naudio: streaming\ngreeting: Hi.\n",
    ),
    Case(
        "consult-tools",
        "8:7",
        1,
        "step 'talk' offers the agent 'transfer' but names no transfer_to",
        CONVERSATION_HEAD + "steps:\n  talk:\n    consult:\n      prompt: Help.\n      tools: [transfer]\n",
    ),
    Case(
        "on-key",
        "7:10",
        1,
        "key '1' is DTMF, but step 'talk' consults the agent, which hears speech only",
        CONVERSATION_HEAD
        + "steps:\n  talk:\n    consult: {prompt: Help.}\n    on: {'1': done}\n  done:\n    hangup: true\n",
    ),
    Case(
        "busy-loop",
        "7:11",
        1,
        "steps a -> b -> a loop without waiting for the caller",
        CONVERSATION_HEAD + "steps:\n  a:\n    say: One.\n    next: b\n  b:\n    say: Two.\n    next: a\n",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{case.rule}@{case.position}" for case in CASES])
def test_broken_flow_is_reported_at_its_line(cli: CLI, write_flow: Callable[[str], Path], case: Case) -> None:
    flow = write_flow(case.flow)
    result = cli("lint", "--json", flow)
    assert result.code == case.exit_code, result.out
    problems = result.json()["problems"]
    found = [
        problem
        for problem in problems
        if problem["rule"] == case.rule and f"{problem['line']}:{problem['column']}" == case.position
    ]
    assert found, f"no {case.rule} at {case.position} in {problems}"
    assert case.message in found[0]["message"]
    assert {problem["rule"] for problem in problems} == {case.rule, *case.also}


def test_every_rule_has_a_broken_flow() -> None:
    from flows import _lint, _loader
    from flows._checks import consult, loops, references, schema, size, structure, templates, values

    modules = (_lint, _loader, consult, loops, references, schema, size, structure, templates, values)
    declared = {rule for module in modules for rule in module.RULES}
    assert len(declared) == 29
    # A file over the step limit takes the YAML loader half a minute; test_lint_scale.py
    # lints one built as data.
    assert declared == {case.rule for case in CASES} | {size.TOO_MANY_STEPS}
