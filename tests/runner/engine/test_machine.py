"""BareMachine: transitions' machine without bindings, and plain moves without hooks.

How it compares with the library's own Machine on random flows and events is in
test_machine_differential.py; here, what it is built on: the library's hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from inspect import signature
from typing import Any

import pytest
from transitions import Event, Machine, MachineError, State, Transition

from runner.engine._machine import (
    MACHINE_CALLBACKS,
    STATE_CALLBACKS,
    TRANSITION_CALLBACKS,
    BareMachine,
    _PlainEvent,
    _PlainTransition,
)

# Every argument of the library's classes that is not a list of callbacks, and why a
# plain move may ignore it. A new argument fails the test below: it may be a hook the
# plain path skips, so read what it does before adding it here.
SETTINGS_A_PLAIN_MOVE_MAY_IGNORE = {
    Machine: {
        "model": "BareMachine starts with none",
        "states": "read when the machine is built",
        "initial": "read by add_model",
        "transitions": "read when the machine is built",
        "send_event": "only shapes what callbacks are given",
        "auto_transitions": "BareMachine turns them off",
        "ordered_transitions": "read when the machine is built",
        "ignore_invalid_triggers": "an invalid trigger goes down the library's path",
        "name": "only prefixes log lines",
        "queued": "a queued machine goes down the library's path (has_queue)",
        "model_attribute": "where a plain move writes the state",
        "model_override": "only decides what is bound to a model, and nothing is",
        "kwargs": "passed on to other classes mixed into Machine",
    },
    Transition: {
        "source": "where a plain move starts",
        "dest": "where a plain move ends; None (an internal transition) goes down the library's path",
        "unless": "kept in conditions",
    },
    State: {
        "name": "what a plain move writes",
        "ignore_invalid_triggers": "an invalid trigger goes down the library's path",
        "final": "only calls on_final, a machine callback",
    },
    Event: {"name": "names the trigger", "machine": "the machine the event belongs to"},
}


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
    bare.remove_model(model)
    with pytest.raises(ValueError, match="not a model of this machine"):
        bare.remove_model(model)


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


def test_every_callback_the_library_documents_is_found_in_it() -> None:
    # At least these: a callback a later version adds is found the same way, and sends
    # moves down the library's path with no change here.
    assert set(MACHINE_CALLBACKS) >= {
        "prepare_event",
        "before_state_change",
        "after_state_change",
        "finalize_event",
        "on_exception",
        "on_final",
    }
    assert set(TRANSITION_CALLBACKS) >= {"prepare", "conditions", "before", "after"}
    assert set(STATE_CALLBACKS) >= {"on_enter", "on_exit"}


@pytest.mark.parametrize(
    "library_class", list(SETTINGS_A_PLAIN_MOVE_MAY_IGNORE), ids=lambda cls: cls.__name__
)
def test_transitions_has_no_argument_the_plain_path_does_not_know(library_class: type) -> None:
    callbacks = {Machine: MACHINE_CALLBACKS, Transition: TRANSITION_CALLBACKS, State: STATE_CALLBACKS}
    arguments = set(signature(library_class).parameters) - set(callbacks.get(library_class, ()))
    assert arguments == set(SETTINGS_A_PLAIN_MOVE_MAY_IGNORE[library_class])


@pytest.mark.parametrize(
    ("ours", "library"),
    [
        (_PlainEvent.trigger, Event.trigger),
        (_PlainTransition.execute, Transition.execute),
        (BareMachine.add_model, Machine.add_model),
    ],
    ids=["trigger", "execute", "add_model"],
)
def test_the_overrides_take_what_the_library_methods_take(
    ours: Callable[..., Any], library: Callable[..., Any]
) -> None:
    assert list(signature(ours).parameters) == list(signature(library).parameters)
