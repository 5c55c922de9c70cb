from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CLI, EXAMPLES

REMINDER = (EXAMPLES / "appointment-reminder.yaml", "--var", "name=Ada & Bo", "--var", "phone=+14155550100")


def _first_document(turn: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<Response>\n"
        '  <Gather input="dtmf speech" numDigits="1" finishOnKey="#" timeout="5" hints="confirm,cancel" '
        f'action="http://127.0.0.1:3334/voice/webhook?call_id=preview&amp;turn={turn}" method="POST" '
        'actionOnEmptyResult="true">\n'
        "    <Say>Hi Ada &amp; Bo, this is the clinic.</Say>\n"
        "    <Say>Press 1 to confirm your appointment, or 2 to cancel it.</Say>\n"
        "  </Gather>\n"
        "</Response>\n"
    )


def test_the_first_document_greets_and_gathers_the_same_on_every_run(cli: CLI) -> None:
    first, second = cli("render", *REMINDER), cli("render", *REMINDER)
    assert (first.code, first.err) == (0, "")
    assert first.out == _first_document("preview")
    assert second.out == first.out


def test_turn_token_sets_the_token_in_the_answers_url(cli: CLI) -> None:
    result = cli("render", *REMINDER, "--turn-token", "Zq8_x-Y3&1")
    assert (result.code, result.err) == (0, "")
    assert result.out == _first_document("Zq8_x-Y3%261")


@pytest.mark.parametrize(
    ("provider", "verb"),
    [
        ("twilio", "<Say>See you then.</Say>"),
        ("plivo", "<Speak>See you then.</Speak>"),
        ("telnyx", "<Say>See you then.</Say>"),
    ],
)
def test_a_step_in_each_dialect(cli: CLI, provider: str, verb: str) -> None:
    result = cli("render", *REMINDER, "--step", "confirmed", "--provider", provider)
    assert result.code == 0, result.err
    assert (
        result.out
        == f'<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  {verb}\n  <Hangup/>\n</Response>\n'
    )


def test_a_dtmf_sequence_starts_with_the_pre_connect_document_the_server_sends(cli: CLI) -> None:
    result = cli(
        "render", EXAMPLES / "meeting-dial-in.yaml", "--var", "bridge=+14155550100", "--var", "pin=12",
        "--webhook-url", "https://calls.example.test/voice/webhook",
    )  # fmt: skip
    assert result.out == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<Response>\n"
        '  <Play digits="ww12#"/>\n'
        '  <Redirect method="POST">https://calls.example.test/voice/webhook?call_id=preview&amp;event=connected</Redirect>\n'
        "</Response>\n"
    )


def test_an_unknown_step_is_a_usage_error(cli: CLI) -> None:
    result = cli("render", *REMINDER, "--step", "confirmd")
    assert result.code == 2
    assert "flow 'appointment-reminder' has no step 'confirmd'; did you mean 'confirmed'?" in result.err


def test_text_over_the_carrier_limit_is_refused_before_the_call(
    cli: CLI, write_flow: Callable[[str], Path]
) -> None:
    flow = write_flow(f"version: 1\nname: long\ngreeting: {'a' * 4097}\n")
    result = cli("render", flow)
    assert result.code == 1
    assert "twilio: <Say> text is 4,097 characters long, over the limit of 4,096" in result.err
    assert result.out == ""


def test_a_step_that_needs_an_earlier_variable_says_so(cli: CLI, write_flow: Callable[[str], Path]) -> None:
    flow = write_flow(
        """
        version: 1
        name: later
        mode: conversation
        steps:
          first:
            set: {plan: gold}
            next: second
          second:
            say: "Plan {{ plan }}."
        """
    )
    result = cli("render", flow, "--step", "second")
    assert result.code == 1
    assert result.err == "callflow render: error: template error in step 'second' say: 'plan' is undefined\n"
