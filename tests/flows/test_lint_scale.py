"""Long and wide flows are linted right, and in time near-linear in their size.

No test here measures a duration; each flow is large enough that the quadratic and
cubic checks this replaced took minutes on it (bench/lint_scale.py has the figures).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flows import Data, Document, lint_document
from tests.conftest import CLI

HEAD = "version: 1\nname: long\nmode: conversation\ninputs:\n  name: {type: string}\nsteps:\n"
HEAD_LINES = 6


def chain_step(index: int, following: str) -> str:
    """Three lines: the step, a say, a next."""
    return f"  s{index}:\n    say: Step {index}.\n    next: {following}\n"


def test_a_busy_loop_deep_in_a_long_chain_is_found_at_its_line(
    cli: CLI, write_flow: Callable[[str], Path]
) -> None:
    steps = [chain_step(index, f"s{index + 1}") for index in range(4_999)]
    steps.append(chain_step(4_999, "s4990"))
    flow = write_flow(HEAD + "".join(steps))
    result = cli("lint", flow)
    loop = " -> ".join(f"s{index}" for index in [*range(4_990, 5_000), 4_990])
    assert result.out.splitlines() == [
        f"{flow}:{HEAD_LINES + 3 * 4_990 + 3}:11: error: steps {loop} loop without waiting for the "
        "caller; a live call would spin here forever: add a gather or consult, or end the loop "
        "with hangup [busy-loop]",
        "checked 1 file: 1 error",
    ]
    assert result.code == 1


def set_chain(size: int) -> list[str]:
    """Steps that each read the variable the step before set, and set their own."""
    steps = ['  s0:\n    set: {v0: "{{ name }}"}\n    next: s1\n']
    steps += [
        f'  s{index}:\n    say: "{{{{ v{index - 1} }}}}"\n    set: {{v{index}: "{{{{ last.digits }}}}"}}\n'
        f"    next: s{index + 1}\n"
        for index in range(1, size)
    ]
    return steps


def test_an_undefined_name_after_a_long_chain_is_found(cli: CLI, write_flow: Callable[[str], Path]) -> None:
    size = 3_000
    steps = set_chain(size)
    # The last step reads a typo of the input, and a variable only one branch sets.
    steps.append(
        f"  s{size}:\n    say: Press 1.\n    gather: {{digits: 1}}\n"
        f'    on: {{"1": left, "2": right}}\n'
        "  left:\n    set: {side: left}\n    next: end\n"
        "  right:\n    next: end\n"
        '  end:\n    say: "{{ nmae }}, {{ side }}, {{ v0 }}, '
        f'{{{{ v{size - 1} }}}}"\n    hangup: true\n'
    )
    flow = write_flow(HEAD + "".join(steps))
    result = cli("lint", flow)
    end_say = HEAD_LINES + 3 + 4 * (size - 1) + 4 + 3 + 2 + 2  # s0, the chain, menu, left, right, end
    assert result.out.splitlines() == [
        f"{flow}:{end_say}:14: error: 'nmae' is not defined; did you mean 'name'? "
        "(templates see the inputs, set variables, call, last and consult) [undefined-name]",
        f"{flow}:{end_say}:26: error: 'side' is not set on every way to here; set it in an earlier "
        "step [undefined-name]",
        "checked 1 file: 2 errors",
    ]
    assert result.code == 1


def test_a_name_set_on_every_way_is_accepted(cli: CLI, write_flow: Callable[[str], Path]) -> None:
    size = 3_000
    steps = set_chain(size)
    # A wide menu: every one of its 400 routes sets 'picked', by its own step.
    routes = ", ".join(f'"{key}": pick{key}' for key in range(100, 500))
    steps.append(f"  s{size}:\n    say: Pick.\n    gather: {{digits: 3}}\n    on: {{{routes}}}\n")
    steps += [f"  pick{key}:\n    set: {{picked: '{key}'}}\n    next: end\n" for key in range(100, 500)]
    steps.append(
        f'  end:\n    say: "{{{{ picked }}}} {{{{ v{size - 1} }}}} {{{{ v0 }}}}"\n    hangup: true\n'
    )
    flow = write_flow(HEAD + "".join(steps))
    result = cli("lint", flow)
    assert result.out.splitlines() == ["checked 1 file: no problems"]
    assert result.code == 0


def test_a_flow_over_the_step_limit_is_refused_before_any_other_check() -> None:
    # Built as data: a YAML file of 100,001 steps takes the loader half a minute.
    steps: dict[str, Data] = {f"s{index}": {"next": "nowhere"} for index in range(100_001)}
    document = Document("big.yaml", {"version": 1, "name": "big", "steps": steps})
    problems = lint_document(document)
    assert [problem.format() for problem in problems] == [
        "big.yaml:1:1: error: expected at most 100,000 steps, found 100,001; split the flow, "
        "or move what repeats into templates and inputs [too-many-steps]"
    ]


def test_a_flow_at_the_step_limit_is_checked() -> None:
    steps: dict[str, Data] = {f"s{index}": {"say": "Hi."} for index in range(100_000)}
    steps["s0"] = {"next": "nowhere"}
    document = Document("big.yaml", {"version": 1, "name": "big", "steps": steps})
    rules = {problem.rule for problem in lint_document(document)}
    assert rules == {"unknown-step", "unreachable-step"}


def test_many_misspelt_targets_are_all_reported_and_the_first_ones_hinted() -> None:
    # Each hint compares its word with every step id: past a budget of comparisons
    # (500,000: here the first 500 words) a mistake is reported without one.
    steps: dict[str, Data] = {f"s{index}": {"next": f"s{index + 1}x"} for index in range(1_000)}
    document = Document("typos.yaml", {"version": 1, "name": "typos", "mode": "conversation", "steps": steps})
    messages = [problem.message for problem in lint_document(document) if problem.rule == "unknown-step"]
    assert len(messages) == 1_000
    assert "expected a step id in step 's0' (next), found 's1x'; did you mean 's1'?" in messages
    assert "expected a step id in step 's499' (next), found 's500x'; did you mean 's500'?" in messages
    assert "expected a step id in step 's500' (next), found 's501x'" in messages
    assert sum("did you mean" in message for message in messages) == 500
