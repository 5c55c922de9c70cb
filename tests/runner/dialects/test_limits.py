"""What a carrier would refuse or cut is an error before the call, naming the limit and the value."""

from __future__ import annotations

import pytest

from runner.dialects import (
    PROVIDERS,
    DialectError,
    DialectLimitError,
    check_limits,
    dtmf_then_redirect,
    fit_actions,
    render,
)
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
    with pytest.raises(DialectLimitError, match=r"^twilio: cannot send digits '12x'"):
        render(
            "twilio",
            [Speak("Hold on."), SendDigits("12x")],
            webhook_url="https://hooks.example",
            call_id="CA42",
        )


def _gather(timeout: float) -> Gather:
    return Gather(input=("dtmf",), timeout=timeout, token="t1")


FITS: list[tuple[str, str, Action, Action, str]] = [
    (
        "twilio",
        "pause-of-zero",
        Pause(0),
        Pause(1),
        "twilio: <Pause> length takes at least 1 s: a pause of 0 s is 1 s",
    ),
    (
        "plivo",
        "wait-of-zero",
        Pause(0),
        Pause(1),
        "plivo: <Wait> length takes at least 1 s: a pause of 0 s is 1 s",
    ),
    (
        "telnyx",
        "pause-over-180",
        Pause(181),
        Pause(180),
        "telnyx: <Pause> length takes 1 to 180 s: a pause of 181 s is 180 s",
    ),
    (
        "plivo",
        "execution-timeout-under-5",
        _gather(2.5),
        _gather(5),
        "plivo: <GetInput> executionTimeout takes 5 to 60 s: a timeout of 2.5 s is 5 s",
    ),
    (
        "plivo",
        "execution-timeout-over-60",
        _gather(600),
        _gather(60),
        "plivo: <GetInput> executionTimeout takes 5 to 60 s: a timeout of 600 s is 60 s",
    ),
    (
        "telnyx",
        "gather-timeout-over-120",
        _gather(121),
        _gather(120),
        "telnyx: <Gather> timeout takes 1 to 120 s: a timeout of 121 s is 120 s",
    ),
    (
        "twilio",
        "gather-timeout-of-zero",
        _gather(0),
        _gather(1),
        "twilio: <Gather> timeout takes at least 1 s: a timeout of 0 s is 1 s",
    ),
    (
        "telnyx",
        "digits-with-a-one-second-wait",
        SendDigits("1W2"),
        SendDigits("1ww2"),
        "telnyx: there is no W (wait a second) in its digits: '1W2' is sent as '1ww2'",
    ),
    (
        "twilio",
        "digits-with-one-second-waits",
        SendDigits("W9W"),
        SendDigits("ww9ww"),
        "twilio: there is no W (wait a second) in its digits: 'W9W' is sent as 'ww9ww'",
    ),
    (
        "plivo",
        "digits-with-pauses",
        SendDigits("1p2P3,4"),
        SendDigits("1W2W3W4"),
        "plivo: p, P and , pause a second, as W does: '1p2P3,4' is sent as '1W2W3W4'",
    ),
    (
        "twilio",
        "digits-with-a-pause",
        SendDigits("12,3#"),
        SendDigits("12ww3#"),
        "twilio: p, P and , pause a second, as W does; there is no W (wait a second) in its digits: "
        "'12,3#' is sent as '12ww3#'",
    ),
]


@pytest.mark.parametrize(
    ("provider", "action", "fitted", "note"),
    [
        pytest.param(provider, action, fitted, note, id=f"{provider}-{name}")
        for provider, name, action, fitted, note in FITS
    ],
)
def test_a_value_outside_the_carriers_range_moves_to_the_nearest_it_takes(
    provider: str, action: Action, fitted: Action, note: str
) -> None:
    assert fit_actions(provider, [action]) == ((fitted,), (note,))
    check_limits(provider, [fitted])


def test_values_the_carrier_takes_are_left_as_they_are() -> None:
    actions = (Speak("Hi."), Pause(180), _gather(4.5), SendDigits("wW1"))
    assert fit_actions("plivo", actions) == (actions, ())


def test_render_sends_the_nearest_value_the_carrier_takes() -> None:
    plivo = render("plivo", [_gather(4)], webhook_url="https://hooks.example", call_id="CA42")
    assert 'executionTimeout="5" digitEndTimeout="5"' in plivo
    telnyx = render(
        "telnyx", [Speak("Hold on."), Pause(181)], webhook_url="https://hooks.example", call_id="CA42"
    )
    assert '<Pause length="180"/>' in telnyx
    twilio = dtmf_then_redirect("twilio", "1W2", "https://hooks.example/resume")
    assert '<Play digits="1ww2"/>' in twilio


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
