from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CLI, EXAMPLES

REMINDER = (EXAMPLES / "appointment-reminder.yaml", "--var", "name=Ada & Bo", "--var", "phone=+14155550100")


def _stable(document: str) -> str:
    return re.sub(r"turn=[A-Za-z0-9_-]+", "turn=TOKEN", document)


def test_the_first_document_greets_and_gathers(cli: CLI) -> None:
    result = cli("render", *REMINDER)
    assert result.code == 0, result.err
    assert _stable(result.out) == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<Response>\n"
        '  <Gather input="dtmf speech" numDigits="1" finishOnKey="#" timeout="5" hints="confirm,cancel" '
        'action="http://127.0.0.1:3334/voice/webhook?call_id=preview&amp;turn=TOKEN" method="POST" '
        'actionOnEmptyResult="true">\n'
        "    <Say>Hi Ada &amp; Bo, this is the clinic.</Say>\n"
        "    <Say>Press 1 to confirm your appointment, or 2 to cancel it.</Say>\n"
        "  </Gather>\n"
        "</Response>\n"
    )


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


def test_a_dtmf_sequence_starts_with_the_pre_connect_document(cli: CLI) -> None:
    result = cli(
        "render", EXAMPLES / "meeting-dial-in.yaml", "--var", "bridge=+14155550100", "--var", "pin=12",
        "--webhook-url", "https://calls.example.test/voice/webhook",
    )  # fmt: skip
    assert result.out == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<Response>\n"
        '  <Play digits="ww12#"/>\n'
        '  <Redirect method="POST">https://calls.example.test/voice/webhook?call_id=preview&amp;phase=connected</Redirect>\n'
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
