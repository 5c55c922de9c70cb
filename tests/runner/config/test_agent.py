"""The config's ``agent`` section: read, defaulted, refused with a clear line, its key never shown."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from runner.config import (
    CREDENTIAL_ENV,
    AgentSettings,
    ConfigInvalidError,
    Secret,
    load_config,
    redacted,
    setup_warnings,
)
from tests.conftest import CLI

KEY = "sk-agent-SECRET-777"
MINIMAL = "agent:\n  base_url: http://127.0.0.1:11434/v1\n  model: llama3.2\n"


@pytest.fixture(autouse=True)
def _in_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No config or credential from the machine running the tests."""
    for name in ["CALLFLOW_CONFIG", *CREDENTIAL_ENV.values()]:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "callflow.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(path: Path, environ: dict[str, str] | None = None) -> list[tuple[int, int, str, str]]:
    with pytest.raises(ConfigInvalidError) as caught:
        load_config(path, environ or {})
    return [(p.mark.line, p.mark.column, p.rule, p.message) for p in caught.value.problems]


def test_without_an_agent_section_there_is_no_agent(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "provider: mock\n"), {"CALLFLOW_AGENT_API_KEY": KEY}).agent is None
    assert load_config(None, {}).agent is None


def test_every_agent_setting_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        agent:
          base_url: https://api.example.com/v1
          model: gpt-4o-mini
          api_key: ${OPENAI_KEY}
          system_prompt: You answer for Bob's Bikes.
          timeout: 2.5
          max_tokens: 120
          temperature: 0
          fallback: One moment, please.
        """,
    )
    assert load_config(path, {"OPENAI_KEY": KEY}).agent == AgentSettings(
        base_url="https://api.example.com/v1",
        model="gpt-4o-mini",
        api_key=Secret(KEY),
        system_prompt="You answer for Bob's Bikes.",
        timeout=2.5,
        max_tokens=120,
        temperature=0.0,
        fallback="One moment, please.",
    )


def test_an_agent_section_takes_the_defaults(tmp_path: Path) -> None:
    agent = load_config(write(tmp_path, MINIMAL), {}).agent
    assert agent is not None
    assert (agent.api_key, agent.timeout, agent.max_tokens, agent.temperature) == (None, 8.0, 200, 0.3)
    assert agent.fallback == "Sorry, I can't answer that right now."
    assert agent.system_prompt.startswith("You are a helpful assistant speaking with a caller on the phone.")


def test_the_api_key_falls_back_to_the_environment(tmp_path: Path) -> None:
    agent = load_config(write(tmp_path, MINIMAL), {"CALLFLOW_AGENT_API_KEY": KEY}).agent
    assert agent is not None
    assert agent.api_key == Secret(KEY)


def test_an_empty_fallback_is_kept_to_say_nothing(tmp_path: Path) -> None:
    agent = load_config(write(tmp_path, MINIMAL + '  fallback: ""\n'), {}).agent
    assert agent is not None
    assert agent.fallback == ""


def test_numbers_may_come_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "  timeout: ${AGENT_TIMEOUT}\n  max_tokens: ${AGENT_TOKENS}\n")
    agent = load_config(path, {"AGENT_TIMEOUT": "12", "AGENT_TOKENS": "64"}).agent
    assert agent is not None
    assert (agent.timeout, agent.max_tokens) == (12.0, 64)


BROKEN = [
    pytest.param(
        "agent:\n  model: llama3.2\n",
        1,
        1,
        "missing-key",
        "missing required key 'base_url' in agent",
        id="no-base-url",
    ),
    pytest.param(
        "agent:\n  base_url: http://127.0.0.1/v1\n",
        1,
        1,
        "missing-key",
        "missing required key 'model'",
        id="no-model",
    ),
    pytest.param(
        "agent:\n  base_url: 127.0.0.1:11434\n  model: m\n",
        2,
        13,
        "invalid-value",
        "in agent.base_url, found '127.0.0.1:11434'",
        id="base-url-without-scheme",
    ),
    pytest.param(
        'agent:\n  base_url: "http://[::1"\n  model: m\n',
        2,
        13,
        "invalid-value",
        "expected a URL with a host name or address, such as http://127.0.0.1:11434/v1, in agent.base_url, "
        "found 'http://[::1'",
        id="base-url-without-host",
    ),
    pytest.param(
        MINIMAL + "  timeout: 0\n",
        4,
        12,
        "invalid-value",
        "expected a value more than 0 in agent.timeout, found the number 0",
        id="timeout-zero",
    ),
    pytest.param(
        MINIMAL + "  max_tokens: 0\n",
        4,
        15,
        "invalid-value",
        "expected a value at least 1 in agent.max_tokens, found the number 0",
        id="max-tokens-zero",
    ),
    pytest.param(
        MINIMAL + "  temperature: 2.5\n",
        4,
        16,
        "invalid-value",
        "expected a value at most 2 in agent.temperature, found the number 2.5",
        id="temperature-too-high",
    ),
    pytest.param(
        MINIMAL + "  timeout: soon\n",
        4,
        12,
        "wrong-type",
        "expected a number in agent.timeout, found 'soon'",
        id="timeout-text",
    ),
    pytest.param(
        MINIMAL + "  modle: other\n",
        4,
        3,
        "unknown-key",
        "unknown key 'modle' in agent; did you mean 'model'?",
        id="unknown-key",
    ),
    pytest.param(
        MINIMAL + "  api_key: 123456789\n",
        4,
        12,
        "wrong-type",
        "expected text in agent.api_key, found a number (not shown: it is a secret); write it in quotes",
        id="api-key-number",
    ),
    pytest.param(
        f"agent: {KEY}\n",
        1,
        8,
        "wrong-type",
        "expected a mapping in agent, found text (not shown: it may hold a secret)",
        id="section-scalar",
    ),
]


@pytest.mark.parametrize(("text", "line", "column", "rule", "part"), BROKEN)
def test_a_broken_agent_section_reports_line_column_rule_and_message(
    tmp_path: Path, text: str, line: int, column: int, rule: str, part: str
) -> None:
    [(found_line, found_column, found_rule, message)] = problems_of(write(tmp_path, text))
    assert (found_line, found_column, found_rule) == (line, column, rule)
    assert part in message
    assert KEY not in message


def test_an_api_key_read_where_a_number_belongs_is_masked(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "  timeout: ${CALLFLOW_AGENT_API_KEY}\n")
    [(_, _, rule, message)] = problems_of(path, {"CALLFLOW_AGENT_API_KEY": KEY})
    assert rule == "env-type"
    assert KEY not in message
    assert "found '***'" in message


def test_redacted_masks_the_api_key(tmp_path: Path) -> None:
    data = redacted(load_config(write(tmp_path, MINIMAL), {"CALLFLOW_AGENT_API_KEY": KEY}))
    assert data["agent"] == {
        "base_url": "http://127.0.0.1:11434/v1",
        "model": "llama3.2",
        "api_key": "***",
        "system_prompt": AgentSettings(base_url="", model="").system_prompt,
        "timeout": 8.0,
        "max_tokens": 200,
        "temperature": 0.3,
        "fallback": "Sorry, I can't answer that right now.",
    }
    assert KEY not in repr(data)


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_config_show_never_prints_the_api_key(
    cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, json_flag: list[str]
) -> None:
    monkeypatch.setenv("OPENAI_KEY", KEY)
    config = write(tmp_path, MINIMAL + "  api_key: ${OPENAI_KEY}\n")
    result = cli("config", "show", "--config", config, *json_flag)
    assert result.code == 0, result.err
    assert KEY not in result.out + result.err
    assert result.out.count("***") == 1


def test_setup_warns_of_a_key_sent_in_the_clear(tmp_path: Path) -> None:
    text = "agent:\n  base_url: http://10.0.0.8:8000/v1\n  model: m\n"
    config = load_config(write(tmp_path, text), {"CALLFLOW_AGENT_API_KEY": KEY})
    assert [(warning.id, warning.message) for warning in setup_warnings(config)] == [
        (
            "agent-plain-http",
            "agent.base_url is http:// to 10.0.0.8: the API key and the callers' words cross the network "
            "in the clear; use https://",
        )
    ]
    assert setup_warnings(load_config(write(tmp_path, MINIMAL), {"CALLFLOW_AGENT_API_KEY": KEY})) == []
    assert setup_warnings(load_config(write(tmp_path, text), {})) == []
