"""BareMachine: transitions' machine without bindings, and plain moves without hooks."""

from __future__ import annotations

import pytest
from transitions import MachineError

from runner.engine._machine import BareMachine


class Model:
    state: str


def machine(**extra: object) -> BareMachine:
    return BareMachine(
        states=["a", "b", "c"],
        initial="a",
        transitions=[
            {"trigger": "go", "source": "a", "dest": "b", **extra},
            {"trigger": "on", "source": "b", "dest": "c"},
        ],
        model_attribute="state",
    )


def test_a_model_starts_in_the_initial_state_and_gets_nothing_bound() -> None:
    bare, model = machine(), Model()
    bare.add_model(model)
    assert model.state == "a"
    assert set(vars(model)) == {"state"}


def test_a_model_can_start_in_a_given_state_and_is_added_once() -> None:
    bare, model = machine(), Model()
    bare.add_model(model, initial="b")
    bare.add_model(model)
    assert model.state == "b"
    assert len(bare.models) == 1


def test_plain_moves_follow_the_transitions_and_refuse_the_others() -> None:
    bare, model = machine(), Model()
    bare.add_model(model)
    assert bare.events["go"].trigger(model) is True
    assert bare.events["on"].trigger(model) is True
    assert model.state == "c"
    with pytest.raises(MachineError, match="Can't trigger event go from state c"):
        bare.events["go"].trigger(model)


def test_a_transition_with_a_hook_runs_as_transitions_runs_it() -> None:
    seen: list[str] = []
    bare, model = machine(after=lambda: seen.append("after"), conditions=lambda: bool(seen)), Model()
    bare.add_model(model)
    assert bare.events["go"].trigger(model) is False  # the condition holds the model back
    assert model.state == "a"
    seen.append("ready")
    assert bare.events["go"].trigger(model) is True
    assert (model.state, seen) == ("b", ["ready", "after"])


def test_a_state_entered_with_a_callback_runs_it() -> None:
    entered: list[str] = []
    bare, model = machine(), Model()
    bare.states["b"].add_callback("enter", lambda: entered.append("b"))
    bare.add_model(model)
    bare.events["go"].trigger(model)
    assert (model.state, entered) == ("b", ["b"])


def test_a_machine_with_event_hooks_fires_as_transitions_fires() -> None:
    seen: list[str] = []
    bare = BareMachine(
        states=["a", "b"],
        initial="a",
        transitions=[{"trigger": "go", "source": "a", "dest": "b"}],
        model_attribute="state",
        prepare_event=lambda: seen.append("prepare"),
        after_state_change=lambda: seen.append("after"),
        finalize_event=lambda: seen.append("finalize"),
    )
    model = Model()
    bare.add_model(model)
    assert bare.events["go"].trigger(model) is True
    assert (model.state, seen) == ("b", ["prepare", "after", "finalize"])
