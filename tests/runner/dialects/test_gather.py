"""A turn: the prompts go inside the input element, and every answer (silence too) reaches the action."""

from __future__ import annotations

import dataclasses

from runner.dialects import render
from runner.types import Action, EndReason, Gather, Hangup, Pause, Play, SendDigits, Speak

WEBHOOK = "https://hooks.example/callflow"
MENU = Gather(input=("dtmf", "speech"), timeout=6, token="turn-3", digits=1, hints=("sales", "support"))
TURN: list[Action] = [
    Speak("Welcome.", voice="Polly.Joanna", language="en-US"),
    Pause(1),
    Play("https://media.example/menu.mp3"),
    MENU,
]


def test_twilio_nests_the_prompts_so_the_caller_can_barge_in() -> None:
    assert (
        render("twilio", TURN, webhook_url=WEBHOOK, call_id="CA42")
        == """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Gather input="dtmf speech" numDigits="1" finishOnKey="#" timeout="6" hints="sales,support" action="https://hooks.example/callflow?call_id=CA42&amp;turn=turn-3" method="POST" actionOnEmptyResult="true">
    <Say voice="Polly.Joanna" language="en-US">Welcome.</Say>
    <Pause length="1"/>
    <Play>https://media.example/menu.mp3</Play>
  </Gather>
</Response>
"""
    )


def test_plivo_nests_the_prompts_and_sends_silence_to_the_action() -> None:
    assert (
        render("plivo", TURN, webhook_url=WEBHOOK, call_id="CA42")
        == """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <GetInput inputType="dtmf speech" numDigits="1" finishOnKey="#" executionTimeout="6" digitEndTimeout="6" hints="sales,support" action="https://hooks.example/callflow?call_id=CA42&amp;turn=turn-3" method="POST" redirect="true">
    <Speak voice="Polly.Joanna" language="en-US">Welcome.</Speak>
    <Wait length="1"/>
    <Play>https://media.example/menu.mp3</Play>
  </GetInput>
  <Redirect method="POST">https://hooks.example/callflow?call_id=CA42&amp;turn=turn-3</Redirect>
</Response>
"""
    )


def test_telnyx_nests_only_say_and_play_so_a_pause_stays_before_the_gather() -> None:
    assert (
        render("telnyx", TURN, webhook_url=WEBHOOK, call_id="CA42")
        == """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say voice="Polly.Joanna" language="en-US">Welcome.</Say>
  <Pause length="1"/>
  <Gather input="dtmf speech" numDigits="1" finishOnKey="#" timeout="6" hints="sales,support" action="https://hooks.example/callflow?call_id=CA42&amp;turn=turn-3">
    <Play>https://media.example/menu.mp3</Play>
  </Gather>
  <Redirect method="POST">https://hooks.example/callflow?call_id=CA42&amp;turn=turn-3</Redirect>
</Response>
"""
    )


def test_the_action_url_carries_the_call_id_and_token_url_encoded() -> None:
    gather = Gather(input=("dtmf",), timeout=5, token="t/1 ok", digits=1)
    document = render("twilio", [gather], webhook_url=WEBHOOK, call_id="CA&42=x")
    assert 'action="https://hooks.example/callflow?call_id=CA%2642%3Dx&amp;turn=t%2F1+ok"' in document


def test_a_webhook_url_with_a_query_keeps_it_and_adds_the_turn() -> None:
    gather = Gather(input=("dtmf",), timeout=5, token="t1")
    document = render("twilio", [gather], webhook_url=f"{WEBHOOK}?tenant=acme", call_id="CA42")
    assert 'action="https://hooks.example/callflow?tenant=acme&amp;call_id=CA42&amp;turn=t1"' in document


def test_a_fractional_timeout_is_rounded_up_so_the_caller_never_gets_less_time() -> None:
    gather = Gather(input=("dtmf",), timeout=5.2, token="t1")
    document = render("twilio", [gather], webhook_url=WEBHOOK, call_id="CA42")
    assert ' timeout="6" ' in document


def test_plivo_caps_the_gap_between_digits_at_ten_seconds_but_waits_the_full_timeout() -> None:
    gather = Gather(input=("dtmf",), timeout=30, token="t1")
    document = render("plivo", [gather], webhook_url=WEBHOOK, call_id="CA42")
    assert ' executionTimeout="30" digitEndTimeout="10" ' in document


def test_only_the_prompts_right_before_the_gather_are_nested() -> None:
    actions: list[Action] = [
        Speak("Connecting you to the menu."),
        SendDigits("1"),
        Play("https://media.example/menu.mp3"),
        Gather(input=("dtmf",), timeout=5, token="t1"),
    ]
    assert (
        render("twilio", actions, webhook_url=WEBHOOK, call_id="CA42")
        == """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say>Connecting you to the menu.</Say>
  <Play digits="1"/>
  <Gather input="dtmf" finishOnKey="#" timeout="5" action="https://hooks.example/callflow?call_id=CA42&amp;turn=t1" method="POST" actionOnEmptyResult="true">
    <Play>https://media.example/menu.mp3</Play>
  </Gather>
</Response>
"""
    )


def test_a_second_gather_takes_only_its_own_prompts() -> None:
    actions: list[Action] = [
        Speak("First?"),
        Gather(input=("speech",), timeout=5, token="t1"),
        Speak("Second?"),
        Gather(input=("speech",), timeout=5, token="t2"),
        Hangup(EndReason.COMPLETED),
    ]
    assert (
        render("plivo", actions, webhook_url=WEBHOOK, call_id="CA42")
        == """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <GetInput inputType="speech" finishOnKey="#" executionTimeout="5" digitEndTimeout="5" action="https://hooks.example/callflow?call_id=CA42&amp;turn=t1" method="POST" redirect="true">
    <Speak>First?</Speak>
  </GetInput>
  <Redirect method="POST">https://hooks.example/callflow?call_id=CA42&amp;turn=t1</Redirect>
  <GetInput inputType="speech" finishOnKey="#" executionTimeout="5" digitEndTimeout="5" action="https://hooks.example/callflow?call_id=CA42&amp;turn=t2" method="POST" redirect="true">
    <Speak>Second?</Speak>
  </GetInput>
  <Redirect method="POST">https://hooks.example/callflow?call_id=CA42&amp;turn=t2</Redirect>
  <Hangup/>
</Response>
"""
    )


def test_documents_of_two_calls_at_one_step_differ_only_in_the_turn_url() -> None:
    first = render("twilio", TURN, webhook_url=WEBHOOK, call_id="CA1")
    later_turn = [*TURN[:-1], dataclasses.replace(MENU, token="turn-9")]
    second = render("twilio", later_turn, webhook_url=WEBHOOK, call_id="CA2")
    assert "call_id=CA1&amp;turn=turn-3" in first
    assert first.replace("call_id=CA1&amp;turn=turn-3", "call_id=CA2&amp;turn=turn-9") == second


def test_a_callers_words_cannot_put_a_url_into_the_document() -> None:
    # Where a turn URL goes, the kept document has a slot marked by NULs; the template
    # strips NULs from every text, so the same characters in a text stay plain words.
    actions: list[Action] = [Speak("say \x00url0\x00 now"), Gather(input=("speech",), timeout=5, token="t1")]
    document = render("twilio", actions, webhook_url=WEBHOOK, call_id="CA42")
    assert "<Say>say url0 now</Say>" in document
    assert document.count("https://hooks.example/callflow?call_id=CA42&amp;turn=t1") == 1
