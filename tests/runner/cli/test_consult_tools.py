"""What a consult step lets the agent do, through a real server on the mock carrier with
a chat-completions stand-in as the agent: the tools it offers (and only those), the
keywords that end the conversation without asking the agent, the agent ending it, and
the step's own model, system prompt and fallback line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.runner.agent.stand_in import AgentStandIn
from tests.runner.cli.test_consult_agent import agent_config

CALLEE = "+14155550100"

DESK_FLOW = """\
version: 1
name: desk
mode: conversation
inputs:
  phone: {type: phone}
to: "{{ phone }}"
greeting: Hello, this is the help desk.
steps:
  prepare:
    set: {ticket: ""}
    next: talk
  talk:
    consult:
      prompt: Help the caller with their printer.
      tools: [end_call, set, transfer]
      transfer_to: {support: "+14155550123"}
      model: desk-large
      system_prompt: You are the desk's senior agent.
      fallback: The desk will call you back.
      max_turns: 4
    on:
      operator: person
    next: wrap_up
  person:
    say: Putting you through.
    transfer: "+14155550123"
  wrap_up:
    say: "Your ticket: {{ ticket or 'none' }}. Goodbye."
    hangup: true
"""


@pytest.fixture
def agent() -> Iterator[AgentStandIn]:
    with AgentStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def desk_call(
    cli: CLI, tmp_path: Path, port: int, agent: AgentStandIn, write_flow: Callable[[str], Path]
) -> Callable[..., tuple[list[str], str]]:
    """Place a call of the desk flow whose callee says ``caller`` in turn: the transcript's
    lines (the last one says how it ended) and what went to stderr."""
    flow = write_flow(DESK_FLOW)
    config = agent_config(tmp_path, port, agent, timeout=1)

    def call(*caller: str) -> tuple[list[str], str]:
        inputs = [argument for words in caller for argument in ("--input", f"say:{words}")]
        result = cli("call", flow, "--var", f"phone={CALLEE}", *inputs, "--config", config)
        assert result.code == 0, result.err
        return [line.strip() for line in result.out.splitlines()[2:]], result.err

    return call


def test_the_step_offers_only_its_tools_with_its_own_model_and_system_prompt(
    desk_call: Callable[..., tuple[list[str], str]], agent: AgentStandIn
) -> None:
    agent.reply('{"spoken": "Is it jammed?"}')
    desk_call("My printer is broken.")
    body = agent.requests[0].json()
    assert body["model"] == "desk-large"
    system = body["messages"][0]["content"]
    assert system.startswith("You are the desk's senior agent.\n\nHelp the caller with their printer.")
    assert "You answer for the clinic." not in system
    offered = {tool["function"]["name"]: tool["function"]["parameters"] for tool in body["tools"]}
    assert sorted(offered) == ["end_call", "set", "transfer"]
    # The agent picks a name, never a number; and only a variable the flow sets.
    assert offered["transfer"]["properties"]["to"]["enum"] == ["support"]
    assert offered["set"]["properties"]["name"]["enum"] == ["ticket"]


def test_the_agent_hangs_up_with_end_call_after_its_words(
    desk_call: Callable[..., tuple[list[str], str]], agent: AgentStandIn
) -> None:
    agent.reply('{"spoken": "Sorry to hear that. Goodbye."}', tool_calls=[("end_call", {})])
    lines, _ = desk_call("Never mind, it works now.", "Are you there?")
    assert lines[-3:] == [
        "caller [talk] Never mind, it works now.",
        "agent  [talk] Sorry to hear that. Goodbye.",
        "ended: hangup-bot after " + lines[-1].split("after ")[1],
    ]
    assert lines[-1].endswith("path: prepare > talk")


def test_the_agent_transfers_only_to_a_named_number(
    desk_call: Callable[..., tuple[list[str], str]], agent: AgentStandIn
) -> None:
    agent.reply('{"spoken": "Putting you through to support."}', tool_calls=[("transfer", {"to": "support"})])
    lines, _ = desk_call("I need a person who knows printers.")
    assert "agent  [talk] Putting you through to support." in lines
    assert "transferred to: +14155550123" in lines
    assert lines[-1].startswith("ended: completed")


def test_a_tool_outside_the_offer_or_its_arguments_is_refused_and_logged(
    desk_call: Callable[..., tuple[list[str], str]], agent: AgentStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    agent.reply(
        '{"spoken": "Let me try."}',
        tool_calls=[("send_dtmf", {"digits": "9"}), ("transfer", {"to": "+19005550000"})],
    )
    agent.reply('{"spoken": "Anything else?", "done": true}')
    lines, _ = desk_call("Dial 9 and get me out.", "No.")
    logged = [record.getMessage() for record in caplog.records if record.name == "callflow.agent"]
    assert [message.split(": ", 1)[1] for message in logged] == [
        "refused the agent's call of tool send_dtmf: tool 'send_dtmf' is not offered in this step "
        "(offered: end_call, set, transfer)",
        "refused the agent's call of tool transfer: transfer needs 'to' to be one of support, "
        "got '+19005550000'",
    ]
    assert not any(line.startswith(("digits sent", "transferred to")) for line in lines)
    assert "agent  [talk] Anything else?" in lines
    assert lines[-1].startswith("ended: hangup-bot")


def test_a_set_without_words_is_answered_and_the_model_asked_once_more(
    desk_call: Callable[..., tuple[list[str], str]], agent: AgentStandIn
) -> None:
    agent.reply("", tool_calls=[("set", {"name": "ticket", "value": "T-42"})])
    agent.reply('{"spoken": "I opened ticket T-42 for you.", "done": true}')
    lines, _ = desk_call("Please open a ticket.")
    assert "agent  [talk] I opened ticket T-42 for you." in lines
    assert "bot    [wrap_up] Your ticket: T-42. Goodbye." in lines
    second = agent.requests[1].json()["messages"]
    assert second[-2]["role"] == "assistant"
    assert second[-2]["tool_calls"][0]["function"]["name"] == "set"
    assert second[-1] == {"role": "tool", "content": "done", "tool_call_id": "call_0"}


def test_a_keyword_of_on_ends_the_conversation_without_asking_the_agent(
    desk_call: Callable[..., tuple[list[str], str]], agent: AgentStandIn
) -> None:
    lines, _ = desk_call("Operator, please!")
    assert agent.requests == []
    assert "bot    [person] Putting you through." in lines
    assert lines[-1].endswith("path: prepare > talk > person")


def test_the_steps_fallback_line_is_said_when_the_agent_fails(
    desk_call: Callable[..., tuple[list[str], str]], agent: AgentStandIn
) -> None:
    agent.answer_json({"error": {"message": "model overloaded"}}, status=500)
    agent.reply('{"spoken": "Back now. Bye.", "done": true}')
    lines, _ = desk_call("Hello?", "Hi.")
    assert "agent  [talk] The desk will call you back." in lines
    assert "agent  [talk] Back now. Bye." in lines
    assert lines[-1].endswith("path: prepare > talk > wrap_up")
