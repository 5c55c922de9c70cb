"""``callflow call --message`` (and its other name, ``start``): a call without a flow file,
placed as one of the built-in flows every server loads, through the same control API as
a call of a flow."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from runner.builtin import BUILTIN_FLOWS, DTMF_NEEDS_CONVERSATION, MESSAGE_FLOW_FILES
from tests.conftest import CLI, EXAMPLES
from tests.runner.cli.serve_process import AUTH_TOKEN, TwilioServer, xml
from tests.runner.providers.carrier_server import CarrierServer
from tests.runner.server.harness import Running, running_server

TO = "+14155550100"
#: A message that would break a template or a TwiML document if it were treated as either.
MESSAGE = 'Your code is {{ 7*7 }}, <Say>not this</Say> & "that"'
PLACED = re.compile(r"call (call-[0-9a-f]{24}) placed to \+14155550100 \(flow (callflow-message[a-z-]*)\)")


@pytest.mark.parametrize("flow", BUILTIN_FLOWS, ids=lambda path: path.name)
def test_every_builtin_flow_lints_clean_even_when_strict(cli: CLI, flow: Path) -> None:
    result = cli("lint", "--strict", flow)
    assert (result.code, result.out) == (0, "checked 1 file: no problems\n"), result.err


@pytest.mark.parametrize(
    ("name", "extra", "said", "digits"),
    [
        ("callflow-message", [], [MESSAGE], []),
        ("callflow-message-conversation", [], [MESSAGE, "At five."], []),
        ("callflow-message-dtmf", ["--var", "dtmf=ww12#"], [MESSAGE, "At five."], ["ww12#"]),
    ],
)
def test_each_message_flow_simulates_saying_the_message_as_written(
    cli: CLI, name: str, extra: list[str], said: list[str], digits: list[str]
) -> None:
    result = cli(
        "simulate", "--json", MESSAGE_FLOW_FILES[name], "--var", f"to={TO}", "--var", f"message={MESSAGE}",
        *extra, "--input", "say:When?", "--agent-reply", "At five.",
    )  # fmt: skip
    assert result.code == 0, result.err
    record = result.json()
    assert (record["said"], record["digits_sent"]) == (said, digits)


def test_a_message_call_says_the_text_as_written_and_hangs_up(cli: CLI, mock_campaign_config: Path) -> None:
    result = cli("call", "--to", TO, "--message", MESSAGE, "--config", mock_campaign_config)
    assert result.code == 0, result.err
    placed, *transcript = result.out.splitlines()
    match = PLACED.fullmatch(placed)
    assert match is not None, placed
    assert match.group(2) == "callflow-message"
    assert transcript[1] == f"  bot    {MESSAGE}"
    assert transcript[2].startswith("ended: completed after ")


def test_start_is_call_by_another_name(cli: CLI, mock_campaign_config: Path) -> None:
    result = cli(
        "start", "--to", TO, "--message", "Joining now.", "--mode", "conversation",
        "--dtmf-sequence", "ww12#", "--input", "hangup", "--config", mock_campaign_config,
    )  # fmt: skip
    assert result.code == 0, result.err
    placed, *transcript = result.out.splitlines()
    match = PLACED.fullmatch(placed)
    assert match is not None, placed
    assert match.group(2) == "callflow-message-dtmf"
    assert transcript[1:3] == ["  digits sent: ww12#", "  bot    Joining now."]
    assert transcript[-1].startswith("ended: hangup-user after ")
    listed = cli("--help")
    assert re.search(r"^ +call \(start\)\n +place one call", listed.out, re.MULTILINE), listed.out


REMINDER = str(EXAMPLES / "appointment-reminder.yaml")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--to", TO, "--message", "Hi", "--dtmf-sequence", "1#"], DTMF_NEEDS_CONVERSATION),
        (
            ["--to", TO, "--message", "Hi", "--mode", "notify", "--dtmf-sequence", "1#"],
            DTMF_NEEDS_CONVERSATION,
        ),
        (
            ["--to", TO, "--message", "Hi", "--mode", "conversation", "--dtmf-sequence", "12ab"],
            "a DTMF sequence is made of 0-9 * # w W p P , only, found 'a' 'b'",
        ),
        (
            ["--to", TO, "--message", "Hi", "--mode", "conversation", "--dtmf-sequence", ""],
            "a DTMF sequence is made of 0-9 * # w W p P , only, found nothing",
        ),
        ([REMINDER, "--message", "Hi"], "give a FLOW file or --message, not both"),
        (["--to", TO], "give a FLOW file to call, or --message TEXT (with --to) to call without one"),
        (["--message", "Hi"], "--message needs --to NUMBER, the number to call"),
        (["--to", TO, "--message", "  "], "the message is empty: give the text to say"),
        (
            ["--to", TO, "--message", "Hi", "--var", "a=b"],
            "--var gives a flow's inputs; a --message call has none",
        ),
        ([REMINDER, "--mode", "conversation"], "--mode goes with --message; a flow file sets its own"),
        ([REMINDER, "--dtmf-sequence", "1"], "--dtmf-sequence goes with --message; a flow file sets its own"),
    ],
)
def test_arguments_that_do_not_make_one_call_are_refused_before_any_server_starts(
    cli: CLI, arguments: list[str], message: str
) -> None:
    # No config is given: these are refused before one is read or a server started.
    result = cli("call", *arguments)
    assert (result.code, result.out, result.err) == (2, "", f"callflow call: error: {message}\n")


def test_an_unknown_mode_is_a_usage_error(cli: CLI) -> None:
    result = cli("start", "--to", TO, "--message", "Hi", "--mode", "chat")
    assert result.code == 2
    assert "argument --mode: invalid choice: 'chat' (choose from " in result.err


# -- the control API ---------------------------------------------------------------------


@pytest.fixture
def server(data_dir: Path) -> Iterator[Running]:
    with running_server(data_dir, ["appointment-reminder", *MESSAGE_FLOW_FILES.values()]) as running:
        yield running


def test_the_control_api_places_a_message_call(server: Running) -> None:
    body = {"to": TO, "message": MESSAGE, "mode": "conversation", "inputs": ["hangup"]}
    placed = server.api("POST", "/api/calls", body)
    assert placed.status_code == 201, placed.text
    assert placed.json()["flow"] == "callflow-message-conversation"
    ended = server.api("POST", f"/api/calls/{placed.json()['id']}/wait", {"timeout": 20}).json()
    assert (ended["said"], ended["end_reason"]) == ([MESSAGE], "hangup-user")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"flow": "appointment-reminder", "message": "Hi", "to": TO}, "give 'flow' or 'message', not both"),
        ({"to": TO}, "give 'flow' (the name of a loaded flow) or 'message' (the text to say)"),
        ({"message": "Hi"}, "'to' is needed with 'message': the number to call"),
        ({"message": "Hi", "to": TO, "dtmf_sequence": "1#"}, DTMF_NEEDS_CONVERSATION),
        ({"message": "Hi", "to": TO, "mode": "chat"}, "the mode is 'notify' or 'conversation', found 'chat'"),
        ({"message": "", "to": TO}, "the message is empty: give the text to say"),
        ({"message": 7, "to": TO}, "'message' must be text"),
        (
            {"message": "Hi", "to": TO, "vars": {"name": "Ada"}},
            "'vars' are a flow's inputs; a 'message' call takes 'to', 'mode' and 'dtmf_sequence'",
        ),
        (
            {"flow": "appointment-reminder", "vars": {"name": "Ada", "phone": TO}, "mode": "notify"},
            "'mode' goes with 'message'; a flow sets its own",
        ),
        (
            {"message": "Hi", "to": "555"},
            "input 'to': expected an E.164 phone number such as +14155550100 ('+', country code, "
            "number; no spaces), found '555'",
        ),
    ],
)
def test_the_control_api_refuses_a_call_request_that_does_not_fit(
    server: Running, body: dict[str, Any], message: str
) -> None:
    refused = server.api("POST", "/api/calls", body)
    assert (refused.status_code, refused.json()) == (400, {"error": message})
    assert server.provider.calls == {}


# -- through a running server, to the carrier's document -------------------------------------


SPOKEN = xml(
    """
    <Response>
      <Say>Your code is {{ 7*7 }}, &lt;Say&gt;not this&lt;/Say&gt; &amp; &#34;that&#34;</Say>
      <Hangup/>
    </Response>
    """
)


@pytest.fixture
def twilio_server(tmp_path: Path, port: int, carrier: CarrierServer) -> Iterator[TwilioServer]:
    """A Twilio server with no flows of its own: only the built-in ones."""
    config = tmp_path / "callflow.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            provider: twilio
            from_number: "+14155550199"
            twilio:
              account_sid: AC00000000000000000000000000000000
              auth_token: {AUTH_TOKEN}
              api_base: {carrier.url}
            public_url: http://127.0.0.1:{port}
            serve: {{port: {port}}}
            data_dir: {tmp_path / "data"}
            """
        ),
        encoding="utf-8",
    )
    running = TwilioServer(config, port).start()
    yield running
    running.stop()


def test_a_running_server_speaks_the_message_literally_in_its_twiml(
    cli: CLI, twilio_server: TwilioServer, carrier: CarrierServer
) -> None:
    carrier.answer(201, {"sid": "CA0123456789abcdef0123456789abcdef"})
    placed = cli("call", "--to", TO, "--message", MESSAGE, "--no-wait", "--config", twilio_server.config)
    assert placed.code == 0, placed.err
    assert PLACED.fullmatch(placed.out.strip()) is not None, placed.out
    [dialled] = carrier.requests
    order = dialled.form()
    assert order["To"] == [TO]
    answer = urlsplit(order["Url"][0])
    form = {"CallSid": "CA0123456789abcdef0123456789abcdef", "CallStatus": "in-progress", "To": TO}
    answered = twilio_server.carrier_post(f"{answer.path}?{answer.query}", form)
    assert answered.status_code == 200, answered.text
    assert answered.text == SPOKEN
