"""Every action, alone, in every dialect: the exact document a carrier fetches."""

from __future__ import annotations

import pytest

from runner.dialects import PROVIDERS, UnknownProviderError, UnsupportedActionError, render
from runner.types import Action, Consult, EndReason, Gather, Hangup, Pause, Play, SendDigits, Speak, Transfer

WEBHOOK = "https://hooks.example/callflow"


def render_one(provider: str, action: Action) -> str:
    return render(provider, [action], webhook_url=WEBHOOK, call_id="CA42")


GOLDEN: list[tuple[str, str, Action, str]] = [
    (
        "twilio",
        "speak-with-voice-and-language",
        Speak("Hello there.", voice="Polly.Joanna", language="en-US"),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say voice="Polly.Joanna" language="en-US">Hello there.</Say>
</Response>
""",
    ),
    (
        "plivo",
        "speak-with-voice-and-language",
        Speak("Hello there.", voice="Polly.Joanna", language="en-US"),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Speak voice="Polly.Joanna" language="en-US">Hello there.</Speak>
</Response>
""",
    ),
    (
        "telnyx",
        "speak-with-voice-and-language",
        Speak("Hello there.", voice="Polly.Joanna", language="en-US"),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say voice="Polly.Joanna" language="en-US">Hello there.</Say>
</Response>
""",
    ),
    (
        "twilio",
        "speak-plain",
        Speak("Hello."),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say>Hello.</Say>
</Response>
""",
    ),
    (
        "plivo",
        "speak-plain",
        Speak("Hello."),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Speak>Hello.</Speak>
</Response>
""",
    ),
    (
        "telnyx",
        "speak-plain",
        Speak("Hello."),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say>Hello.</Say>
</Response>
""",
    ),
    (
        "twilio",
        "play",
        Play("https://media.example/welcome.mp3"),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Play>https://media.example/welcome.mp3</Play>
</Response>
""",
    ),
    (
        "plivo",
        "play",
        Play("https://media.example/welcome.mp3"),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Play>https://media.example/welcome.mp3</Play>
</Response>
""",
    ),
    (
        "telnyx",
        "play",
        Play("https://media.example/welcome.mp3"),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Play>https://media.example/welcome.mp3</Play>
</Response>
""",
    ),
    (
        "twilio",
        "pause",
        Pause(2),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Pause length="2"/>
</Response>
""",
    ),
    (
        "plivo",
        "pause",
        Pause(2),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Wait length="2"/>
</Response>
""",
    ),
    (
        "telnyx",
        "pause",
        Pause(2),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Pause length="2"/>
</Response>
""",
    ),
    (
        "twilio",
        "send-digits",
        SendDigits("ww12#"),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Play digits="ww12#"/>
</Response>
""",
    ),
    (
        "plivo",
        "send-digits",
        SendDigits("ww12#"),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <DTMF async="false">ww12#</DTMF>
</Response>
""",
    ),
    (
        "telnyx",
        "send-digits",
        SendDigits("ww12#"),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Play digits="ww12#"/>
</Response>
""",
    ),
    (
        "twilio",
        "gather-digits",
        Gather(input=("dtmf",), timeout=5, token="t7", digits=4),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Gather input="dtmf" numDigits="4" finishOnKey="#" timeout="5" action="https://hooks.example/callflow?call_id=CA42&amp;turn=t7" method="POST" actionOnEmptyResult="true"/>
</Response>
""",
    ),
    (
        "plivo",
        "gather-digits",
        Gather(input=("dtmf",), timeout=5, token="t7", digits=4),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <GetInput inputType="dtmf" numDigits="4" finishOnKey="#" executionTimeout="5" digitEndTimeout="5" action="https://hooks.example/callflow?call_id=CA42&amp;turn=t7" method="POST" redirect="true"/>
  <Redirect method="POST">https://hooks.example/callflow?call_id=CA42&amp;turn=t7</Redirect>
</Response>
""",
    ),
    (
        "telnyx",
        "gather-digits",
        Gather(input=("dtmf",), timeout=5, token="t7", digits=4),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Gather input="dtmf" numDigits="4" finishOnKey="#" timeout="5" action="https://hooks.example/callflow?call_id=CA42&amp;turn=t7"/>
  <Redirect method="POST">https://hooks.example/callflow?call_id=CA42&amp;turn=t7</Redirect>
</Response>
""",
    ),
    (
        "twilio",
        "gather-speech-and-digits-with-hints",
        Gather(input=("speech", "dtmf"), timeout=8, token="t8", hints=("billing", "sales")),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Gather input="dtmf speech" finishOnKey="#" timeout="8" hints="billing,sales" action="https://hooks.example/callflow?call_id=CA42&amp;turn=t8" method="POST" actionOnEmptyResult="true"/>
</Response>
""",
    ),
    (
        "plivo",
        "gather-speech-and-digits-with-hints",
        Gather(input=("speech", "dtmf"), timeout=8, token="t8", hints=("billing", "sales")),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <GetInput inputType="dtmf speech" finishOnKey="#" executionTimeout="8" digitEndTimeout="8" hints="billing,sales" action="https://hooks.example/callflow?call_id=CA42&amp;turn=t8" method="POST" redirect="true"/>
  <Redirect method="POST">https://hooks.example/callflow?call_id=CA42&amp;turn=t8</Redirect>
</Response>
""",
    ),
    (
        "telnyx",
        "gather-speech-and-digits-with-hints",
        Gather(input=("speech", "dtmf"), timeout=8, token="t8", hints=("billing", "sales")),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Gather input="dtmf speech" finishOnKey="#" timeout="8" hints="billing,sales" action="https://hooks.example/callflow?call_id=CA42&amp;turn=t8"/>
  <Redirect method="POST">https://hooks.example/callflow?call_id=CA42&amp;turn=t8</Redirect>
</Response>
""",
    ),
    (
        "twilio",
        "transfer",
        Transfer("+15551234567"),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Dial>
    <Number>+15551234567</Number>
  </Dial>
</Response>
""",
    ),
    (
        "plivo",
        "transfer",
        Transfer("+15551234567"),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Dial>
    <Number>+15551234567</Number>
  </Dial>
</Response>
""",
    ),
    (
        "telnyx",
        "transfer",
        Transfer("+15551234567"),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Dial>
    <Number>+15551234567</Number>
  </Dial>
</Response>
""",
    ),
    (
        "twilio",
        "hangup",
        Hangup(EndReason.COMPLETED),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Hangup/>
</Response>
""",
    ),
    (
        "plivo",
        "hangup",
        Hangup(EndReason.COMPLETED),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Hangup/>
</Response>
""",
    ),
    (
        "telnyx",
        "hangup",
        Hangup(EndReason.COMPLETED),
        """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Hangup/>
</Response>
""",
    ),
]


@pytest.mark.parametrize(
    ("provider", "action", "expected"),
    [
        pytest.param(provider, action, expected, id=f"{provider}-{name}")
        for provider, name, action, expected in GOLDEN
    ],
)
def test_each_action_renders_as_the_dialects_exact_document(
    provider: str, action: Action, expected: str
) -> None:
    assert render_one(provider, action) == expected


def test_the_golden_table_covers_every_rendered_action_in_every_dialect() -> None:
    kinds = {type(action) for _, _, action, _ in GOLDEN}
    assert kinds == {Speak, Play, Pause, SendDigits, Gather, Transfer, Hangup}
    for kind in kinds:
        assert {provider for provider, _, action, _ in GOLDEN if type(action) is kind} == set(PROVIDERS)


@pytest.mark.parametrize(("provider", "say"), [("twilio", "Say"), ("plivo", "Speak"), ("telnyx", "Say")])
def test_actions_are_performed_in_the_order_given(provider: str, say: str) -> None:
    document = render(
        provider,
        [Speak("One."), Play("https://media.example/two.mp3"), Hangup(EndReason.HANGUP_BOT)],
        webhook_url=WEBHOOK,
        call_id="CA42",
    )
    assert document.splitlines()[1:] == [
        "<Response>",
        f"  <{say}>One.</{say}>",
        "  <Play>https://media.example/two.mp3</Play>",
        "  <Hangup/>",
        "</Response>",
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_actions_is_an_empty_response(provider: str) -> None:
    assert render(provider, [], webhook_url=WEBHOOK, call_id="CA42") == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Response/>\n'
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_consult_is_refused_because_it_never_reaches_the_carrier(provider: str) -> None:
    consult = Consult(prompt="Summarise", heard="I want a refund", timeout=5)
    with pytest.raises(UnsupportedActionError) as caught:
        render(provider, [Speak("One moment."), consult], webhook_url=WEBHOOK, call_id="CA42")
    assert str(caught.value) == (
        f"{provider}: cannot render Consult: the engine asks the agent itself; a consult never reaches the carrier"
    )
    assert caught.value.action is consult


def test_something_that_is_not_an_action_is_refused() -> None:
    with pytest.raises(
        UnsupportedActionError, match=r"^twilio: cannot render str: it is not an engine action$"
    ):
        render("twilio", ["<Hangup/>"], webhook_url=WEBHOOK, call_id="CA42")  # type: ignore[list-item]


def test_an_unknown_provider_suggests_the_close_one_and_lists_the_known_ones() -> None:
    with pytest.raises(UnknownProviderError) as caught:
        render("twillio", [Hangup(EndReason.COMPLETED)], webhook_url=WEBHOOK, call_id="CA42")
    assert (
        str(caught.value)
        == "unknown provider 'twillio' (did you mean 'twilio'?); expected one of: twilio, plivo, telnyx"
    )
    assert caught.value.provider == "twillio"
    assert caught.value.known == ("twilio", "plivo", "telnyx")


def test_an_unknown_provider_with_no_close_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownProviderError) as caught:
        render("vonage", [], webhook_url=WEBHOOK, call_id="CA42")
    assert str(caught.value) == "unknown provider 'vonage'; expected one of: twilio, plivo, telnyx"
    assert caught.value.suggestion is None
