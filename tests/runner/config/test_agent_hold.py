"""The config's ``agent.hold_seconds`` and ``agent.filler``: how long a carrier's request
is held for the agent's reply, and what the caller hears after that."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.config import ConfigInvalidError, load_config

AGENT = "agent:\n  base_url: http://127.0.0.1:11434/v1\n  model: llama3.2\n"


def config_with(tmp_path: Path, lines: str) -> Path:
    path = tmp_path / "callflow.yaml"
    path.write_text(AGENT + lines, encoding="utf-8")
    return path


def test_hold_and_filler_are_read(tmp_path: Path) -> None:
    agent = load_config(config_with(tmp_path, "  hold_seconds: 2.5\n  filler: Bear with me.\n"), {}).agent
    assert agent is not None
    assert (agent.hold_seconds, agent.filler) == (2.5, "Bear with me.")


def test_without_them_the_hold_is_four_seconds_and_the_filler_a_polite_line(tmp_path: Path) -> None:
    agent = load_config(config_with(tmp_path, ""), {}).agent
    assert agent is not None
    assert (agent.hold_seconds, agent.filler) == (4.0, "One moment, please.")


def test_an_empty_filler_is_kept_it_says_nothing(tmp_path: Path) -> None:
    agent = load_config(config_with(tmp_path, '  filler: ""\n'), {}).agent
    assert agent is not None
    assert agent.filler == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12", "expected a value at most 10 in agent.hold_seconds, found the number 12"),
        ("0", "expected a value more than 0 in agent.hold_seconds, found the number 0"),
    ],
)
def test_a_hold_the_carriers_would_not_wait_for_is_refused_at_its_line(
    tmp_path: Path, value: str, message: str
) -> None:
    with pytest.raises(ConfigInvalidError) as caught:
        load_config(config_with(tmp_path, f"  hold_seconds: {value}\n"), {})
    assert [(p.mark.line, p.mark.column, p.message) for p in caught.value.problems] == [(4, 17, message)]
