"""``--agent-url`` and ``--agent-model`` in ``callflow simulate`` and ``callflow test``: a
real agent answers the consult turns the supplied replies leave over, asked as the
server asks it, against the chat-completions stand-in on 127.0.0.1."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runner.config import DEFAULT_CONFIG_FILE
from tests.conftest import CLI, EXAMPLES
from tests.runner.agent.stand_in import API_KEY, AgentStandIn

MEETING = EXAMPLES / "meeting-dial-in.yaml"
GREETING = "Hello, this is the assistant joining the meeting."
BRIDGE = ("--var", "bridge=+14155550100", "--var", "pin=77")


@pytest.fixture
def agent() -> Iterator[AgentStandIn]:
    with AgentStandIn() as stand_in:
        yield stand_in


@pytest.fixture(autouse=True)
def no_agent_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALLFLOW_AGENT_API_KEY", raising=False)


def agent_config(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / DEFAULT_CONFIG_FILE
    path.write_text(
        textwrap.dedent(
            f"""
            agent:
              base_url: {base_url}
              model: clinic-small
              api_key: {API_KEY}
              system_prompt: You answer for the clinic.
              timeout: 1
              fallback: Someone will call you back.
            """
        ),
        encoding="utf-8",
    )
    return path


def test_simulate_asks_the_agent_as_the_server_does_and_says_only_its_spoken_words(
    cli: CLI, agent: AgentStandIn
) -> None:
    agent.reply('Sure!\n```json\n{"spoken": "The budget first."}\n```', reasoning="I should answer.")
    result = cli(
        "simulate", MEETING, *BRIDGE, "--input", "say:What is on the agenda?",
        "--agent-url", agent.url, "--agent-model", "llama3.2", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json()["said"] == [GREETING, "The budget first."]
    (asked,) = (request.json() for request in agent.requests)
    assert asked["model"] == "llama3.2"
    system = asked["messages"][0]["content"]
    assert "You are in a meeting. Answer briefly when addressed." in system
    assert '{"spoken": "..."}' in system
    assert asked["messages"][1:] == [
        {"role": "assistant", "content": GREETING},
        {"role": "user", "content": "What is on the agenda?"},
    ]
    assert "authorization" not in agent.requests[0].headers


def test_supplied_replies_come_first_then_the_agent_answers(cli: CLI, agent: AgentStandIn) -> None:
    agent.reply('{"spoken": "Then hiring."}')
    result = cli(
        "simulate", MEETING, *BRIDGE, "--input", "say:What is first?", "--input", "say:And then?",
        "--agent-reply", '{"spoken": "The budget."}', "--agent-url", agent.url, "--agent-model", "m",
        "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json()["said"] == [GREETING, "The budget.", "Then hiring."]
    (asked,) = (request.json() for request in agent.requests)
    assert asked["messages"][-3:] == [
        {"role": "user", "content": "What is first?"},
        {"role": "assistant", "content": "The budget."},
        {"role": "user", "content": "And then?"},
    ]


def test_the_config_agent_gives_the_model_prompt_and_fallback_and_its_key_only_to_its_own_url(
    cli: CLI, agent: AgentStandIn, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = agent_config(tmp_path, agent.url)
    agent.answer_json({"error": {"message": "model overloaded"}}, status=500)
    agent.reply('{"spoken": "I am back."}')
    result = cli(
        "simulate", MEETING, *BRIDGE, "--input", "say:Hello?", "--input", "say:Anyone?",
        "--agent-url", agent.url, "--config", config, "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json()["said"] == [GREETING, "Someone will call you back.", "I am back."]
    assert "the agent did not answer" in caplog.text
    assert API_KEY not in result.out + result.err + caplog.text
    first = agent.requests[0]
    assert first.json()["model"] == "clinic-small"
    assert first.json()["messages"][0]["content"].startswith(
        "You answer for the clinic.\n\nYou are in a meeting."
    )
    assert first.headers["authorization"] == f"Bearer {API_KEY}"

    # Another address does not get the config's key.
    elsewhere = agent_config(tmp_path, "http://127.0.0.1:9/v1")
    agent.reply('{"spoken": "Hello."}')
    cli("simulate", MEETING, *BRIDGE, "--input", "say:Hi", "--agent-url", agent.url, "--config", elsewhere)
    assert "authorization" not in agent.requests[-1].headers


def test_callflow_test_asks_the_agent_for_cases_without_replies(
    cli: CLI, agent: AgentStandIn, write_flow: Callable[..., Path]
) -> None:
    tests = write_flow(
        f"""
        flow: {MEETING}
        cases:
          - name: the agent answers
            vars: {{bridge: "+14155550100", pin: "4321"}}
            inputs: ["say:What is on the agenda?"]
            expect:
              says: ["{GREETING}", "The budget, then hiring."]
              end_reason: hangup-user
        """,
        "meeting.test.yaml",
    )
    agent.reply('{"spoken": "The budget, then hiring."}')
    result = cli("test", tests, "--agent-url", agent.url, "--agent-model", "m")
    assert (result.code, result.out.splitlines()[1:]) == (
        0,
        ["  PASS  the agent answers", "1 passed, 0 failed"],
    )
    assert len(agent.requests) == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--agent-url", "http://127.0.0.1:9/v1"), "--agent-url needs --agent-model NAME"),
        (("--agent-model", "m"), "--agent-model goes with --agent-url"),
        (
            ("--agent-url", "localhost:11434", "--agent-model", "m"),
            "--agent-url takes an http:// or https://",
        ),
    ],
)
@pytest.mark.parametrize("command", ["simulate", "test"])
def test_agent_options_that_do_not_fit_are_usage_errors(
    cli: CLI, tmp_path: Path, command: str, arguments: tuple[str, ...], message: str
) -> None:
    config = tmp_path / DEFAULT_CONFIG_FILE
    config.write_text("provider: mock\n", encoding="utf-8")
    target = (MEETING, *BRIDGE) if command == "simulate" else (EXAMPLES / "meeting-dial-in.test.yaml",)
    result = cli(command, *target, *arguments, "--config", config)
    assert (result.code, result.out) == (2, "")
    assert message in result.err
