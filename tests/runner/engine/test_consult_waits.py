"""A consult step's two waits: ``listen`` for the caller's speech, ``timeout`` for the agent."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CLI

CONSULT_FLOW = """\
version: 1
name: help-desk
mode: conversation
defaults: {{timeout: 3}}
steps:
  ask:
    say: How can I help?
    consult: {{prompt: Help the caller., max_turns: 1{settings}}}
    hangup: true
"""


def _flow(write_flow: Callable[[str], Path], settings: str) -> Path:
    return write_flow(CONSULT_FLOW.format(settings=settings))


def _seconds(cli: CLI, flow: Path, caller: str) -> float:
    """How long a simulated call lasted, when the agent never replies."""
    result = cli("simulate", flow, "--input", caller)
    assert (result.code, result.err) == (0, ""), result.err
    ended = re.search(r"^ended: hangup-bot after ([0-9.]+) s; path: ask$", result.out, re.MULTILINE)
    assert ended is not None, result.out
    return float(ended.group(1))


def test_listen_sets_how_long_the_carrier_waits_for_the_caller(
    cli: CLI, write_flow: Callable[[str], Path]
) -> None:
    flow = _flow(write_flow, ", timeout: 30, listen: 8")
    assert cli("lint", flow).out == "checked 1 file: no problems\n"
    result = cli("render", flow, "--step", "ask", "--provider", "twilio")
    assert (result.code, result.err) == (0, "")
    gather = next(line for line in result.out.splitlines() if line.lstrip().startswith("<Gather "))
    assert ' timeout="8" ' in gather


def test_without_listen_the_caller_gets_the_flows_default_timeout(
    cli: CLI, write_flow: Callable[[str], Path]
) -> None:
    result = cli("render", _flow(write_flow, ", timeout: 30"), "--step", "ask", "--provider", "twilio")
    assert result.code == 0
    assert ' timeout="3" ' in result.out


def test_listen_bounds_the_silence_and_timeout_the_agents_wait(
    cli: CLI, write_flow: Callable[[str], Path]
) -> None:
    def lasted(settings: str, caller: str) -> float:
        return _seconds(cli, _flow(write_flow, settings), caller)

    silent = lasted(", timeout: 30, listen: 8", "silence")
    # A silent caller: the turn ends after `listen`; the silence then reaches the agent
    # (as an empty utterance, so it can re-prompt), which is waited for `timeout`.
    assert lasted(", timeout: 30, listen: 20", "silence") == silent + 12
    assert lasted(", timeout: 90, listen: 8", "silence") == silent + 60
    spoken = lasted(", timeout: 30, listen: 8", "say:hello")
    # A caller who speaks, an agent who never replies: the step waits `timeout` for it.
    assert lasted(", timeout: 60, listen: 8", "say:hello") == spoken + 30
    assert lasted(", timeout: 30, listen: 20", "say:hello") == spoken


def test_listen_must_be_a_positive_number_of_seconds(cli: CLI, write_flow: Callable[[str], Path]) -> None:
    flow = _flow(write_flow, ", listen: 0")
    result = cli("lint", flow)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{flow}:8:63: error: expected a value more than 0 in step 'ask' (consult.listen), "
        "found the number 0 [invalid-value]"
    )
