"""Consult steps answered by a language model: a whole conversation through a real
server on the mock carrier, the agent a chat-completions stand-in on 127.0.0.1.

Only the words the model means for the caller are spoken; a model that stalls or fails
is never the caller's problem: the fallback line is said and the call goes on.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.runner.agent.stand_in import API_KEY, AgentStandIn

CALLEE = "+14155550100"
MESSAGE = "Hello, this is the clinic about your appointment."


@pytest.fixture
def agent() -> Iterator[AgentStandIn]:
    with AgentStandIn() as stand_in:
        yield stand_in


def agent_config(tmp_path: Path, port: int, agent: AgentStandIn, timeout: float = 5) -> Path:
    path = tmp_path / "callflow.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            provider: mock
            from_number: "+14155550199"
            serve: {{port: {port}}}
            data_dir: {tmp_path / "data"}
            agent:
              base_url: {agent.url}
              model: clinic-small
              api_key: {API_KEY}
              system_prompt: You answer for the clinic.
              timeout: {timeout}
              fallback: Sorry, someone will call you back.
            """
        ),
        encoding="utf-8",
    )
    return path


def converse(cli: CLI, config: Path, *caller: str) -> list[str]:
    """A conversation call whose callee says ``caller`` in turn; the transcript's lines."""
    inputs = [argument for words in caller for argument in ("--input", f"say:{words}")]
    result = cli(
        "call", "--to", CALLEE, "--message", MESSAGE, "--mode", "conversation", *inputs, "--config", config
    )
    assert result.code == 0, result.err
    assert API_KEY not in result.out + result.err
    return [line.strip() for line in result.out.splitlines()[2:-1]]


def test_the_agent_answers_each_turn_and_only_its_spoken_words_are_said(
    cli: CLI, tmp_path: Path, port: int, agent: AgentStandIn
) -> None:
    agent.reply('{"spoken": "Your appointment is at nine tomorrow."}')
    # A small model that wraps its JSON in prose and reasons first.
    agent.reply(
        'Sure! Here is my answer:\n```json\n{"spoken": "You are welcome. Goodbye."}\n```',
        reasoning="The user thanks me. I should say goodbye.",
    )
    lines = converse(cli, agent_config(tmp_path, port, agent), "When is my appointment?", "Thanks a lot")
    assert lines == [
        f"bot    {MESSAGE}",
        "caller [talk] When is my appointment?",
        "agent  [talk] Your appointment is at nine tomorrow.",
        "caller [talk] Thanks a lot",
        "agent  [talk] You are welcome. Goodbye.",
    ]
    first, second = (request.json() for request in agent.requests)
    assert first["model"] == "clinic-small"
    system = first["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith("You answer for the clinic.\n\nYou placed this phone call to give a")
    assert '{"spoken": "..."}' in system["content"]
    assert first["messages"][1:] == [
        {"role": "assistant", "content": MESSAGE},
        {"role": "user", "content": "When is my appointment?"},
    ]
    # The conversation so far comes along with each turn.
    assert second["messages"][-3:] == [
        {"role": "user", "content": "When is my appointment?"},
        {"role": "assistant", "content": "Your appointment is at nine tomorrow."},
        {"role": "user", "content": "Thanks a lot"},
    ]
    assert agent.requests[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_an_agent_that_stalls_or_fails_gets_the_fallback_line_and_the_call_goes_on(
    cli: CLI, tmp_path: Path, port: int, agent: AgentStandIn
) -> None:
    agent.stall()
    agent.answer_json({"error": {"message": "model overloaded"}}, status=500)
    agent.reply('{"spoken": "I am back."}')
    config = agent_config(tmp_path, port, agent, timeout=1)
    lines = converse(cli, config, "Hello?", "Anyone there?", "Ok")
    assert lines == [
        f"bot    {MESSAGE}",
        "caller [talk] Hello?",
        "agent  [talk] Sorry, someone will call you back.",
        "caller [talk] Anyone there?",
        "agent  [talk] Sorry, someone will call you back.",
        "caller [talk] Ok",
        "agent  [talk] I am back.",
    ]


def test_an_agent_with_nothing_to_say_lets_the_caller_speak_again(
    cli: CLI, tmp_path: Path, port: int, agent: AgentStandIn
) -> None:
    agent.reply('{"spoken": ""}')
    agent.reply('{"spoken": "Go on."}')
    lines = converse(cli, agent_config(tmp_path, port, agent), "Well", "I was wondering")
    assert lines == [
        f"bot    {MESSAGE}",
        "caller [talk] Well",
        "caller [talk] I was wondering",
        "agent  [talk] Go on.",
    ]
