"""The engine through its own front door: events in, actions out."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from flows import Flow, Step
from runner.engine import MAX_STEPS_PER_EVENT, FlowEngine
from runner.types import (
    AgentReply,
    Answered,
    CallEnded,
    Consult,
    Digits,
    EndReason,
    Gather,
    Hangup,
    Lifecycle,
    NoInput,
    Pause,
    Play,
    Ringing,
    SendDigits,
    Speak,
    Speech,
    Timer,
)
from tests.runner.engine.conftest import EngineFactory

Ids = Callable[[], str]

MENU = """
version: 1
name: menu
mode: conversation
inputs:
  name: {type: string}
greeting: "Hi {{ name }}."
defaults: {retries: 1, timeout: 4}
steps:
  menu:
    say: Press 1 or say yes.
    gather: {input: [dtmf, speech], digits: 1}
    on:
      "1": yes
      "yes": yes
      no_input: bye
  yes:
    say: Good.
    hangup: true
  bye:
    say: Bye.
"""


def _answered(engine: FlowEngine, ids: Ids, **variables: str) -> tuple[object, list[object]]:
    call = engine.new_call(call_id="c1", variables=variables, now=0.0)
    engine.handle(call, Ringing(id=ids(), at=1.0))
    return call, list(engine.handle(call, Answered(id=ids(), at=2.0)))


def _gather(actions: list[object]) -> Gather:
    gathers = [action for action in actions if isinstance(action, Gather)]
    assert len(gathers) == 1
    return gathers[0]


def test_a_step_does_its_parts_in_the_contract_order(engine_for: EngineFactory, event_ids: Ids) -> None:
    engine = engine_for(
        """
        version: 1
        name: order
        mode: conversation
        steps:
          first:
            set: {greeting_word: Hello}
            say: ["{{ greeting_word }}", "again"]
            play: https://example.invalid/tone.mp3
            pause: 2
            send_digits: "1#"
            gather: {digits: 1, timeout: 3, hints: [one]}
        """
    )
    call, actions = _answered(engine, event_ids)
    assert actions[:5] == [
        Speak("Hello"),
        Speak("again"),
        Play("https://example.invalid/tone.mp3"),
        Pause(2),
        SendDigits("1#"),
    ]
    gather = actions[5]
    assert isinstance(gather, Gather)
    assert (gather.input, gather.digits, gather.timeout, gather.hints) == (("dtmf",), 1, 3.0, ("one",))
    assert call.lifecycle == Lifecycle.LISTENING


def test_the_lifecycle_only_moves_forward(engine_for: EngineFactory, event_ids: Ids) -> None:
    engine = engine_for(MENU)
    call, _ = _answered(engine, event_ids, name="Ada")
    assert engine.handle(call, Ringing(id=event_ids(), at=3.0)) == []
    assert engine.handle(call, Answered(id=event_ids(), at=3.0)) == []
    assert call.lifecycle == Lifecycle.LISTENING
    assert call.record.ringing_at == 1.0
    assert call.record.answered_at == 2.0


def test_an_event_delivered_twice_has_no_second_effect(engine_for: EngineFactory, event_ids: Ids) -> None:
    engine = engine_for(MENU)
    call, actions = _answered(engine, event_ids, name="Ada")
    silence = NoInput(id="same", at=6.0, token=_gather(actions).token)
    first = engine.handle(call, silence)
    assert [action.text for action in first if isinstance(action, Speak)] == ["Press 1 or say yes."]
    assert engine.handle(call, silence) == []
    assert call.retries_used == 1


def test_a_terminal_state_is_final(engine_for: EngineFactory, event_ids: Ids) -> None:
    engine = engine_for(MENU)
    call, actions = _answered(engine, event_ids, name="Ada")
    engine.handle(call, Digits(id=event_ids(), at=5.0, digits="1", token=_gather(actions).token))
    assert call.record.end_reason is EndReason.HANGUP_BOT
    assert engine.handle(call, CallEnded(id=event_ids(), at=9.0, reason=EndReason.COMPLETED)) == []
    assert engine.handle(call, Timer(id=event_ids(), at=9.0, kind="max_duration")) == []
    assert call.lifecycle == EndReason.HANGUP_BOT.value
    assert call.record.end_reason is EndReason.HANGUP_BOT


def test_an_answer_to_an_old_turn_cannot_answer_the_new_one(
    engine_for: EngineFactory, event_ids: Ids
) -> None:
    engine = engine_for(MENU)
    call, actions = _answered(engine, event_ids, name="Ada")
    old_token = _gather(actions).token
    reprompt = engine.handle(call, NoInput(id=event_ids(), at=6.0, token=old_token))
    assert _gather(reprompt).token != old_token
    assert engine.handle(call, Digits(id=event_ids(), at=7.0, digits="1", token=old_token)) == []
    assert call.step == "menu"
    engine.handle(call, Digits(id=event_ids(), at=7.0, digits="1", token=_gather(reprompt).token))
    assert call.record.path == ["menu", "yes"]


def test_speech_keywords_match_whole_words_ignoring_case(engine_for: EngineFactory, event_ids: Ids) -> None:
    engine = engine_for(MENU)
    call, actions = _answered(engine, event_ids, name="Ada")
    reprompt = engine.handle(
        call, Speech(id=event_ids(), at=5.0, text="Yesterday", token=_gather(actions).token)
    )
    assert call.step == "menu"
    engine.handle(call, Speech(id=event_ids(), at=6.0, text="Oh, YES!", token=_gather(reprompt).token))
    assert call.record.path == ["menu", "yes"]


def test_input_values_are_data_never_templates(engine_for: EngineFactory, event_ids: Ids) -> None:
    engine = engine_for(MENU)
    _, actions = _answered(engine, event_ids, name="{{ 7 * 7 }} {% if true %}x{% endif %}")
    assert actions[0] == Speak("Hi {{ 7 * 7 }} {% if true %}x{% endif %}.")


def test_caller_speech_read_back_is_not_evaluated(engine_for: EngineFactory, event_ids: Ids) -> None:
    engine = engine_for(
        """
        version: 1
        name: echo
        mode: conversation
        steps:
          ask:
            gather: {input: [speech]}
            next: echo
          echo:
            say: "You said {{ last.speech }}"
        """
    )
    call, actions = _answered(engine, event_ids)
    said = engine.handle(
        call, Speech(id=event_ids(), at=5.0, text="{{ call.id }}", token=_gather(actions).token)
    )
    assert said[0] == Speak("You said {{ call.id }}")
    assert call.record.end_reason is EndReason.COMPLETED


def test_a_template_failure_ends_only_that_call_with_a_clear_error(
    engine_for: EngineFactory, event_ids: Ids
) -> None:
    engine = engine_for(
        """
        version: 1
        name: divide
        inputs:
          count: {type: integer}
        greeting: "Each gets {{ 10 // count }}."
        """
    )
    broken = engine.new_call(call_id="broken", variables={"count": 0}, now=0.0)
    actions = engine.handle(broken, Answered(id=event_ids(), at=1.0))
    assert actions == [Hangup(EndReason.ERROR)]
    assert broken.record.end_reason is EndReason.ERROR
    assert broken.record.error == "template error in greeting: integer division or modulo by zero"
    fine = engine.new_call(call_id="fine", variables={"count": 2}, now=0.0)
    assert engine.handle(fine, Answered(id=event_ids(), at=1.0))[0] == Speak("Each gets 5.")


def test_the_sandbox_refuses_python_internals(engine_for: EngineFactory, event_ids: Ids) -> None:
    engine = engine_for(
        """
        version: 1
        name: escape
        inputs:
          name: {type: string}
        greeting: "{{ name.__class__.__mro__ }}"
        """
    )
    call = engine.new_call(call_id="c", variables={"name": "x"}, now=0.0)
    engine.handle(call, Answered(id=event_ids(), at=1.0))
    assert call.record.end_reason is EndReason.ERROR
    assert call.record.error is not None
    assert "__class__" in call.record.error


def test_retries_then_the_failure_route(engine_for: EngineFactory, event_ids: Ids) -> None:
    engine = engine_for(MENU)
    call, actions = _answered(engine, event_ids, name="Ada")
    again = engine.handle(call, NoInput(id=event_ids(), at=6.0, token=_gather(actions).token))
    final = engine.handle(call, NoInput(id=event_ids(), at=10.0, token=_gather(again).token))
    assert final == [Speak("Bye."), Hangup(EndReason.COMPLETED)]
    assert call.record.path == ["menu", "bye"]


def test_used_up_retries_without_a_route_end_the_call_by_the_bot(
    engine_for: EngineFactory, event_ids: Ids
) -> None:
    engine = engine_for(MENU)
    call, actions = _answered(engine, event_ids, name="Ada")
    again = engine.handle(call, Digits(id=event_ids(), at=6.0, digits="5", token=_gather(actions).token))
    final = engine.handle(call, Digits(id=event_ids(), at=8.0, digits="6", token=_gather(again).token))
    assert final == [Hangup(EndReason.HANGUP_BOT)]


def test_max_duration_ends_the_call_with_timeout(engine_for: EngineFactory, event_ids: Ids) -> None:
    engine = engine_for(MENU)
    call, _ = _answered(engine, event_ids, name="Ada")
    assert engine.handle(call, Timer(id=event_ids(), at=300.0, kind="max_duration")) == [
        Hangup(EndReason.TIMEOUT)
    ]
    assert (call.record.end_reason, call.record.ended_at) == (EndReason.TIMEOUT, 300.0)


def test_a_machine_answering_is_voicemail(engine_for: EngineFactory, event_ids: Ids) -> None:
    engine = engine_for(MENU)
    call = engine.new_call(call_id="c", variables={"name": "Ada"}, now=0.0)
    assert engine.handle(call, Answered(id=event_ids(), at=1.0, machine=True)) == [
        Hangup(EndReason.VOICEMAIL)
    ]


def test_the_carrier_ending_the_call_needs_no_hangup(engine_for: EngineFactory, event_ids: Ids) -> None:
    engine = engine_for(MENU)
    call, _ = _answered(engine, event_ids, name="Ada")
    assert engine.handle(call, CallEnded(id=event_ids(), at=4.0, reason=EndReason.HANGUP_USER)) == []
    assert call.record.end_reason is EndReason.HANGUP_USER
    assert call.step == "(ended)"


def test_consult_hands_each_turn_to_the_agent(engine_for: EngineFactory, event_ids: Ids) -> None:
    engine = engine_for(
        """
        version: 1
        name: helpdesk
        mode: conversation
        inputs:
          topic: {type: string}
        steps:
          talk:
            consult: {prompt: "Help with {{ topic }}.", max_turns: 2, timeout: 7}
            next: done
          done:
            say: "Last said: {{ consult.spoken }}"
            hangup: true
        """
    )
    call, actions = _answered(engine, event_ids, topic="printers")
    asked = engine.handle(call, Speech(id=event_ids(), at=3.0, text="It jams.", token=_gather(actions).token))
    assert asked == [Consult("Help with printers.", "It jams.", 7.0, own_timeout=7.0)]
    assert engine.handle(call, Speech(id=event_ids(), at=3.5, text="Hello?")) == []
    replied = engine.handle(call, AgentReply(id=event_ids(), at=4.0, text="Open tray 2."))
    assert replied[0] == Speak("Open tray 2.")
    # A silent turn reaches the agent too, as an empty utterance, so it can re-prompt.
    silent = engine.handle(call, NoInput(id=event_ids(), at=9.0, token=_gather(replied).token))
    assert silent == [Consult("Help with printers.", "", 7.0, own_timeout=7.0)]
    second = engine.handle(call, AgentReply(id=event_ids(), at=9.5, text="Still there?"))
    assert second == [Speak("Still there?"), Speak("Last said: Still there?"), Hangup(EndReason.HANGUP_BOT)]
    speakers = [entry.speaker.value for entry in call.record.transcript]
    assert speakers == ["caller", "agent", "agent", "bot"]


def test_many_calls_share_one_engine_without_sharing_state(engine_for: EngineFactory, event_ids: Ids) -> None:
    engine = engine_for(MENU)
    calls = [engine.new_call(call_id=f"c{i}", variables={"name": f"N{i}"}, now=0.0) for i in range(50)]
    tokens = {}
    for call in calls:
        tokens[call.id] = _gather(engine.handle(call, Answered(id=event_ids(), at=1.0))).token
    for index, call in enumerate(calls):
        if index % 2:
            engine.handle(call, Digits(id=event_ids(), at=2.0, digits="1", token=tokens[call.id]))
    assert [call.step for call in calls[:4]] == ["menu", "(ended)", "menu", "(ended)"]
    assert calls[2].record.transcript[0].text == "Hi N2."
    for call in calls:
        engine.release(call)


def test_a_runaway_loop_ends_the_call_instead_of_spinning() -> None:
    # The linter refuses such a flow; this builds one directly to check the guard.
    flow = Flow(
        name="spin",
        file="spin.yaml",
        mode="conversation",
        inputs={},
        steps={"a": Step("a", next="b"), "b": Step("b", next="a")},
        start="a",
    )
    engine = FlowEngine(flow)
    call = engine.new_call(call_id="c", variables={}, now=0.0)
    assert engine.handle(call, Answered(id="e1", at=1.0)) == [Hangup(EndReason.ERROR)]
    assert call.record.error == f"more than {MAX_STEPS_PER_EVENT} steps without waiting for the caller"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"nmae": "x"},
            "flow 'typed' has no input 'nmae'; did you mean 'name'? (inputs: name, count, vip, plan, phone)",
        ),
        ({}, "flow 'typed' needs inputs name, phone: give --var name=... --var phone=..."),
        ({"name": "a", "phone": "+14155550100", "count": "two"}, "input 'count' is an integer, found 'two'"),
        (
            {"name": "a", "phone": "+14155550100", "vip": "maybe"},
            "input 'vip' is true or false, found 'maybe'",
        ),
        (
            {"name": "a", "phone": "+14155550100", "plan": "gold"},
            "input 'plan' is one of basic, plus, found 'gold'",
        ),
        (
            {"name": "a", "phone": "555-0100"},
            "input 'phone': expected an E.164 phone number such as +14155550100",
        ),
    ],
)
def test_bad_values_for_inputs_name_the_input(
    engine_for: EngineFactory, given: dict[str, str], message: str
) -> None:
    from runner.engine import InputError, bind_inputs

    engine = engine_for(
        """
        version: 1
        name: typed
        inputs:
          name: {type: string}
          count: {type: integer, default: 1}
          vip: {type: boolean, default: false}
          plan: {type: string, enum: [basic, plus], default: basic}
          phone: {type: phone}
        greeting: Hi.
        """
    )
    with pytest.raises(InputError) as caught:
        bind_inputs(engine.flow, given)
    assert str(caught.value).startswith(message)


def test_inputs_are_converted_to_their_types(engine_for: EngineFactory) -> None:
    from runner.engine import bind_inputs

    engine = engine_for(
        """
        version: 1
        name: typed
        inputs:
          count: {type: integer}
          ratio: {type: number}
          vip: {type: boolean}
          plan: {type: string, default: basic}
        greeting: Hi.
        """
    )
    values = bind_inputs(engine.flow, {"count": " 3", "ratio": "0.5", "vip": "Yes"})
    assert values == {"count": 3, "ratio": 0.5, "vip": True, "plan": "basic"}


def test_released_calls_leave_the_machines_and_others_stay(engine_for: EngineFactory, event_ids: Ids) -> None:
    engine = engine_for(MENU)
    calls = [engine.new_call(call_id=f"c{i}", variables={"name": "N"}, now=0.0) for i in range(3)]
    engine.release(calls[1])
    with pytest.raises(ValueError, match="not a model of this machine"):
        engine.release(calls[1])
    assert engine.handle(calls[2], Answered(id=event_ids(), at=1.0))[0] == Speak("Hi N.")
    restored = engine.restore(calls[1].synced_record(), engine.snapshot(calls[1]))
    assert restored.step == "(pending)"


def test_a_call_keeps_the_time_of_its_last_event_across_a_restore(
    engine_for: EngineFactory, event_ids: Ids
) -> None:
    engine = engine_for(MENU)
    call = engine.new_call(call_id="c1", variables={"name": "N"}, now=10.0)
    assert call.last_event_at == 10.0
    engine.handle(call, Answered(id=event_ids(), at=12.5))
    engine.handle(call, Answered(id=event_ids(), at=14.0))
    assert call.last_event_at == 14.0
    state = engine.snapshot(call)
    engine.release(call)
    assert engine.restore(call.synced_record(), state).last_event_at == 14.0


def test_the_event_ids_kept_across_a_restore_are_the_most_recent(engine_for: EngineFactory) -> None:
    engine = engine_for(MENU)
    call = engine.new_call(call_id="c1", variables={"name": "N"}, now=0.0)
    # Ids whose alphabetical order is the reverse of their order in time.
    ids = [f"event-{999 - number}" for number in range(70)]
    for at, event_id in enumerate(ids):
        engine.handle(call, Answered(id=event_id, at=float(at)))
    state = engine.snapshot(call)
    assert state["seen_events"] == ids[-64:]
    engine.release(call)
    restored = engine.restore(call.synced_record(), state)
    assert list(restored.seen_events) == ids[-64:]
