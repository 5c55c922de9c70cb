"""What a carrier would refuse or cut is an error before the call, naming the limit and the value."""

from __future__ import annotations

import pytest

from runner.dialects import PROVIDERS, DialectError, DialectLimitError, check_limits, render
from runner.types import Action, Consult, Gather, Pause, SendDigits, Speak

LIMITS: list[tuple[str, str, Action, str]] = [
    (
        "twilio",
        "say-text-over-4096",
        Speak("a" * 4097),
        "twilio: <Say> text is 4,097 characters long, over the limit of 4,096 (it starts 'aaaaaaaaaaaaaaaaaaaaaaaa...')",
    ),
    (
        "twilio",
        "say-text-over-3000-with-a-polly-voice",
        Speak("b" * 3001, voice="Polly.Joanna"),
        "twilio: <Say> text is 3,001 characters long, over the limit of 3,000 for Polly voices (it starts 'bbbbbbbbbbbbbbbbbbbbbbbb...')",
    ),
    (
        "twilio",
        "say-text-over-5000-with-a-google-voice",
        Speak("c" * 5001, voice="Google.en-US-Standard-C"),
        "twilio: <Say> text is 5,001 characters long, over the limit of 5,000 for Google voices (it starts 'cccccccccccccccccccccccc...')",
    ),
    ("twilio", "pause-of-zero", Pause(0), "twilio: <Pause> length is 0 seconds, under the minimum of 1"),
    ("plivo", "wait-of-zero", Pause(0), "plivo: <Wait> length is 0 seconds, under the minimum of 1"),
    (
        "telnyx",
        "pause-over-180",
        Pause(181),
        "telnyx: <Pause> length is 181 seconds, outside 1 to 180 seconds",
    ),
    ("telnyx", "pause-of-zero", Pause(0), "telnyx: <Pause> length is 0 seconds, outside 1 to 180 seconds"),
    (
        "plivo",
        "execution-timeout-under-5",
        Gather(input=("dtmf",), timeout=2.5, token="t1"),
        "plivo: <GetInput> executionTimeout is 3 seconds, outside 5 to 60 seconds (a timeout of 2.5 s, rounded up)",
    ),
    (
        "plivo",
        "execution-timeout-over-60",
        Gather(input=("dtmf",), timeout=61, token="t1"),
        "plivo: <GetInput> executionTimeout is 61 seconds, outside 5 to 60 seconds",
    ),
    (
        "telnyx",
        "gather-timeout-over-120",
        Gather(input=("dtmf",), timeout=121, token="t1"),
        "telnyx: <Gather> timeout is 121 seconds, outside 1 to 120 seconds",
    ),
    (
        "twilio",
        "gather-timeout-of-zero",
        Gather(input=("dtmf",), timeout=0, token="t1"),
        "twilio: <Gather> timeout is 0 seconds, under the minimum of 1",
    ),
    (
        "twilio",
        "gather-without-input",
        Gather(input=(), timeout=5, token="t1"),
        "twilio: <Gather> input () must be dtmf, speech or both",
    ),
    (
        "plivo",
        "gather-with-an-unknown-input",
        Gather(input=("dtmf", "video"), timeout=5, token="t1"),
        "plivo: <GetInput> input ('dtmf', 'video') must be dtmf, speech or both",
    ),
    (
        "telnyx",
        "gather-of-zero-digits",
        Gather(input=("dtmf",), timeout=5, token="t1", digits=0),
        "telnyx: <Gather> numDigits is 0; it must be at least 1",
    ),
    (
        "twilio",
        "two-finishing-keys",
        Gather(input=("dtmf",), timeout=5, token="t1", finish_on_key="#*"),
        "twilio: <Gather> finishOnKey is '#*'; it must be one key of 0-9, * and #, or empty for none",
    ),
    (
        "plivo",
        "a-finishing-key-that-is-no-key",
        Gather(input=("dtmf",), timeout=5, token="t1", finish_on_key="x"),
        "plivo: <GetInput> finishOnKey is 'x'; it must be one key of 0-9, * and #, or empty for none",
    ),
    (
        "telnyx",
        "a-finishing-key-that-is-no-key",
        Gather(input=("dtmf",), timeout=5, token="t1", finish_on_key="#x"),
        "telnyx: <Gather> finishOnKey is '#x'; it must be keys of 0-9, * and #, or empty for none",
    ),
    (
        "telnyx",
        "a-hint-with-a-comma",
        Gather(input=("speech",), timeout=5, token="t1", hints=("yes, please",)),
        "telnyx: <Gather> hint 'yes, please' has a comma, which separates one hint from the next",
    ),
    (
        "twilio",
        "digits-with-a-letter",
        SendDigits("12x"),
        "twilio: cannot send digits '12x': 'x' is not one of 0-9, *, #, w (wait half a second)",
    ),
    (
        "telnyx",
        "digits-with-a-one-second-wait",
        SendDigits("1W2"),
        "telnyx: cannot send digits '1W2': 'W' is not one of 0-9, *, #, w (wait half a second)",
    ),
    (
        "plivo",
        "digits-with-a-letter",
        SendDigits("12x"),
        "plivo: cannot send digits '12x': 'x' is not one of 0-9, *, #, w (wait half a second), W (wait a second)",
    ),
    ("plivo", "no-digits", SendDigits(""), "plivo: there are no digits to send"),
]


@pytest.mark.parametrize(
    ("provider", "action", "message"),
    [
        pytest.param(provider, action, message, id=f"{provider}-{name}")
        for provider, name, action, message in LIMITS
    ],
)
def test_a_broken_limit_is_an_error_that_names_the_limit(provider: str, action: Action, message: str) -> None:
    with pytest.raises(DialectLimitError) as caught:
        check_limits(provider, [action])
    assert str(caught.value) == message
    assert caught.value.provider == provider
    assert message == f"{provider}: {caught.value.message}"


def test_render_checks_the_limits_before_writing_anything() -> None:
    with pytest.raises(DialectLimitError, match=r"^telnyx: <Pause> length is 181 seconds"):
        render("telnyx", [Speak("Hold on."), Pause(181)], webhook_url="https://hooks.example", call_id="CA42")


@pytest.mark.parametrize(
    ("provider", "action"),
    [
        ("twilio", Speak("a" * 4096)),
        ("twilio", Speak("b" * 3000, voice="Polly.Joanna")),
        ("plivo", Speak("a" * 10_000)),
        ("telnyx", Pause(180)),
        ("telnyx", Pause(1)),
        ("plivo", Gather(input=("dtmf", "speech"), timeout=5, token="t1")),
        ("plivo", Gather(input=("dtmf",), timeout=60, token="t1", finish_on_key="")),
        ("telnyx", Gather(input=("dtmf",), timeout=120, token="t1", finish_on_key="#*", digits=1)),
        ("plivo", SendDigits("wW0123456789*#")),
        ("twilio", SendDigits("ww1234567890*#")),
    ],
    ids=[
        "twilio-say-of-4096",
        "twilio-polly-say-of-3000",
        "plivo-long-speak",
        "telnyx-pause-of-180",
        "telnyx-pause-of-1",
        "plivo-timeout-of-5",
        "plivo-timeout-of-60-without-finishing-key",
        "telnyx-timeout-of-120-with-two-finishing-keys",
        "plivo-every-digit-and-wait",
        "twilio-every-digit-and-wait",
    ],
)
def test_values_at_the_limit_pass(provider: str, action: Action) -> None:
    check_limits(provider, [action])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_consult_has_no_limits_to_check(provider: str) -> None:
    check_limits(provider, [Consult(prompt="p", heard="h", timeout=0)])


def test_a_limit_error_is_a_dialect_error() -> None:
    assert issubclass(DialectLimitError, DialectError)
