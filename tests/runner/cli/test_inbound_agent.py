"""Inbound calls answered by the agent (``inbound: {agent: true}``): a real ``callflow serve``
whose carrier is the test, the agent a chat-completions stand-in on 127.0.0.1.

The caller hears the greeting, then the agent talks with them; the inbound policy still
decides who gets that far, and a config that says two things about who answers is refused.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.builtin import INBOUND_AGENT_FLOW
from tests.conftest import CLI
from tests.runner.agent.stand_in import AgentStandIn
from tests.runner.cli.serve_process import AUTH_TOKEN, TwilioServer, action_of, free_port, only_record, xml

ALLOWED = "+14155550111"
CALLER = {"CallSid": "CA-in-1", "From": ALLOWED, "To": "+14155550199", "Direction": "inbound"}
WEAK_SCREEN = "caller ID can be spoofed, so an allowlist is a weak screen, not authentication"


@pytest.fixture
def agent() -> Iterator[AgentStandIn]:
    with AgentStandIn() as stand_in:
        yield stand_in


def write_config(folder: Path, text: str) -> Path:
    path = folder / "callflow.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def serve(folder: Path, agent: AgentStandIn, inbound: str) -> TwilioServer:
    """A started Twilio server on loopback whose inbound calls are set by ``inbound``."""
    port = free_port()
    config = write_config(
        folder,
        f"""
        provider: twilio
        from_number: "+14155550199"
        twilio: {{account_sid: AC00000000000000000000000000000000, auth_token: {AUTH_TOKEN}}}
        public_url: http://127.0.0.1:{port}
        serve: {{port: {port}}}
        data_dir: {folder / "data"}
        inbound: {inbound}
        agent:
          base_url: {agent.url}
          model: front-desk
          system_prompt: You answer the phone for the clinic.
        """,
    )
    return TwilioServer(config, port).start()


@pytest.fixture
def server(tmp_path: Path, agent: AgentStandIn) -> Iterator[TwilioServer]:
    running = serve(tmp_path, agent, f"{{policy: allowlist, allow_from: ['{ALLOWED}'], agent: true}}")
    try:
        yield running
    finally:
        running.stop()


def test_an_allowed_caller_hears_the_greeting_then_the_agent_answers_their_words(
    server: TwilioServer, agent: AgentStandIn
) -> None:
    answered = server.carrier_post("/voice/webhook", {**CALLER, "CallStatus": "ringing"})
    assert server.golden(answered.text) == xml(
        """
        <Response>
          <Gather input="speech" finishOnKey="" timeout="5" action="WEBHOOK?call_id=ID&amp;turn=TURN" method="POST" actionOnEmptyResult="true">
            <Say>Hello, how can I help you?</Say>
          </Gather>
        </Response>
        """
    )
    assert agent.requests == []
    agent.reply('{"spoken": "Of course. Which day suits you better?"}')
    heard = {**CALLER, "CallStatus": "in-progress", "SpeechResult": "I need to move my appointment"}
    replied = server.carrier_post(action_of(answered.text).removeprefix(server.base), heard)
    assert "<Say>Of course. Which day suits you better?</Say>" in replied.text
    assert "<Gather" in replied.text
    (request,) = agent.requests
    sent = request.json()
    assert sent["model"] == "front-desk"
    system = sent["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith(
        f"You answer the phone for the clinic.\n\nYou answered a phone call from {ALLOWED}, and have "
        "just greeted the caller. Help them with what they ask, briefly."
    )
    assert sent["messages"][1:] == [
        {"role": "assistant", "content": "Hello, how can I help you?"},
        {"role": "user", "content": "I need to move my appointment"},
    ]


def test_the_configured_greeting_is_said_instead_of_the_default(tmp_path: Path, agent: AgentStandIn) -> None:
    running = serve(tmp_path, agent, "{policy: open, agent: true, greeting: 'Clinic, good morning.'}")
    try:
        answered = running.carrier_post("/voice/webhook", {**CALLER, "CallStatus": "ringing"})
    finally:
        running.stop()
    assert "<Say>Clinic, good morning.</Say>" in answered.text
    assert "Hello, how can I help you?" not in answered.text


def test_a_caller_not_on_the_list_is_refused_and_the_agent_never_asked(
    server: TwilioServer, agent: AgentStandIn
) -> None:
    stranger = {**CALLER, "CallSid": "CA-in-2", "From": "+14155550999", "CallStatus": "ringing"}
    refused = server.carrier_post("/voice/webhook", stranger)
    assert refused.text.splitlines()[-2:] == ['  <Reject reason="rejected"/>', "</Response>"]
    assert agent.requests == []
    record = only_record(server.config.parent / "data")
    assert (record.from_number, record.error) == (
        "+14155550999",
        "inbound call refused by the inbound policy",
    )


def test_the_builtin_inbound_agent_flow_lints_clean_even_when_strict(cli: CLI) -> None:
    result = cli("lint", "--strict", INBOUND_AGENT_FLOW)
    assert (result.code, result.out) == (0, "checked 1 file: no problems\n"), result.err


def test_setup_reports_inbound_calls_answered_by_the_agent(
    cli: CLI, tmp_path: Path, agent: AgentStandIn
) -> None:
    agent.models("front-desk")
    config = write_config(
        tmp_path,
        f"""
        inbound: {{policy: allowlist, allow_from: ['{ALLOWED}'], agent: true}}
        agent: {{base_url: {agent.url}, model: front-desk}}
        """,
    )
    result = cli("setup", "--config", config)
    assert result.code == 0, result.out + result.err
    inbound = [line for line in result.out.splitlines() if " inbound:" in line]
    assert inbound == [
        f"OK inbound: inbound calls from 1 allowed number are answered by the agent (front-desk); {WEAK_SCREEN}"
    ]


def test_config_show_gives_the_agent_greeting_when_none_is_written(
    cli: CLI, tmp_path: Path, agent: AgentStandIn
) -> None:
    config = write_config(
        tmp_path,
        f"""
        inbound: {{policy: open, agent: true}}
        agent: {{base_url: {agent.url}, model: front-desk}}
        """,
    )
    result = cli("config", "show", "--json", "--config", config)
    assert result.code == 0, result.err
    assert result.json()["inbound"] == {
        "policy": "open",
        "allow_from": [],
        "greeting": "Hello, how can I help you?",
        "flow": None,
        "agent": True,
    }


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        pytest.param(
            """
            inbound:
              policy: open
              flow: hotline.yaml
              agent: true
            agent: {base_url: "http://127.0.0.1:11434/v1", model: llama3.2}
            """,
            [
                "callflow.yaml:4:10: error: inbound.agent: true and inbound.flow both say what answers "
                "inbound calls: remove inbound.flow to let the agent answer, or inbound.agent to run "
                "the flow [inbound-agent]"
            ],
            id="agent-and-flow",
        ),
        pytest.param(
            """
            inbound:
              policy: open
              agent: true
            """,
            [
                "callflow.yaml:3:10: error: inbound.agent: true needs the agent section "
                "(agent: {base_url, model}) to answer inbound calls; add it, or answer them with a "
                "flow in inbound.flow [inbound-agent]"
            ],
            id="no-agent-section",
        ),
        pytest.param(
            """
            inbound:
              policy: open
              agent: yes
            """,
            ["callflow.yaml:3:10: error: expected true or false in inbound.agent, found 'yes' [wrong-type]"],
            id="not-a-flag",
        ),
    ],
)
def test_a_config_that_cannot_say_who_answers_is_refused_naming_the_key(
    cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, errors: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, text)
    result = cli("serve", "--config", "callflow.yaml")
    assert (result.code, result.out) == (2, "")
    assert result.err.splitlines() == [
        *errors,
        f"callflow serve: error: config file callflow.yaml has {len(errors)} error",
    ]
