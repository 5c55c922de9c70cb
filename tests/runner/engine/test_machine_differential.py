"""BareMachine against the library's own Machine, on random flows and random events.

BareMachine re-implements the library's trigger, its transitions' moves and its list
of models for speed; a new version of transitions could change what those do. Both
machines are built as the engine builds its two (the step machine of a random flow,
the lifecycle machine), get the same calls added, moved, jumped and removed, and must
answer each the same way, leave every call in the same state and fire the same
callbacks in the same order with the same arguments.

The engine sets no callbacks, so the first test is the path it takes. The second adds
random callbacks, conditions, settings and second ways out of every kind the library
offers: with any of them, BareMachine must run as the library runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transitions import Machine, MachineError
from transitions.core import EventData

from flows import compile_document, parse_document
from runner.engine._lifecycle import MACHINE_CONFIG as LIFECYCLE_CONFIG
from runner.engine._machine import BareMachine

SETTINGS = settings(max_examples=100, deadline=None)
CALLS = 3  # calls sharing one machine, as all calls of a flow share its machines
ABSENT = "(no state attribute)"


# -- the machines, as the engine builds them -------------------------------------


@st.composite
def flow_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A lint-clean flow whose steps lead anywhere a flow may lead: a step that waits
    (a gather) routes to any step, one that does not goes on forward or ends."""
    ids = [f"step{index}" for index in range(draw(st.integers(1, 6)))]
    steps: dict[str, Any] = {}
    for index, step_id in enumerate(ids):
        kind = draw(st.sampled_from(["gather", "next", "hangup", "end"]))
        step: dict[str, Any] = {"say": f"This is {step_id}."}
        if kind == "gather":
            targets = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3))
            step["gather"] = {"input": ["dtmf"]}
            step["on"] = {str(key): target for key, target in enumerate(targets, start=1)}
            if draw(st.booleans()):
                step["on"]["no_input"] = draw(st.sampled_from(ids))
        elif kind == "next" and index + 1 < len(ids):
            step["next"] = draw(st.sampled_from(ids[index + 1 :]))  # forward only: no busy loop
        elif kind == "hangup":
            step["hangup"] = True
        steps[step_id] = step
    document: dict[str, Any] = {"version": 1, "name": "random", "mode": "conversation", "steps": steps}
    if draw(st.booleans()):
        document["start"] = draw(st.sampled_from(ids))
    return document


def step_machine_config(document: dict[str, Any]) -> dict[str, Any]:
    """What FlowEngine builds its step machine from, for this flow."""
    parsed, problems = parse_document(json.dumps(document), "random.yaml")
    return {**compile_document(parsed, problems).machine_config(), "model_attribute": "step"}


machine_configs = st.one_of(st.just(LIFECYCLE_CONFIG), flow_documents().map(step_machine_config))


def stock_machine(**config: Any) -> Machine:
    return Machine(model=None, auto_transitions=False, **config)


# -- callbacks -----------------------------------------------------------------------


class HookFailure(Exception):
    pass


@dataclass
class Recorder:
    """Makes the callbacks of one machine; each writes what it was called with to ``log``.

    ``model`` is the call the operation under way is about: a callback that fires a
    trigger fires it at that call, once per operation (twice could recurse for ever).
    """

    log: list[tuple[Any, ...]] = field(default_factory=list)
    machine: Machine | None = None
    model: Any = None
    fired: set[str] = field(default_factory=set)

    def callback(self, label: str, hook: Hook | None = None) -> Callable[..., bool]:
        def called(*args: Any, **kwargs: Any) -> bool:
            self.log.append((label, *map(_seen, args), tuple(sorted(kwargs.items()))))
            if hook is None:
                return True
            if hook.fires is not None and label not in self.fired and self.machine is not None:
                self.fired.add(label)
                triggers = sorted(self.machine.events)
                result = self.machine.events[triggers[hook.fires % len(triggers)]].trigger(self.model)
                self.log.append((label, "fired", result))
            if hook.fails:
                raise HookFailure(label)
            return hook.answer

        return called


def _seen(argument: Any) -> Any:
    """An argument as a callback saw it; an EventData (send_event) by what it says."""
    if isinstance(argument, EventData):
        transition = argument.transition
        return (
            "event",
            argument.event.name,
            argument.state.name if argument.state is not None else None,
            None if transition is None else (transition.source, transition.dest),
            argument.args,
            tuple(sorted(argument.kwargs.items())),
            argument.result,
            repr(argument.error),
        )
    return argument


# Every place the library takes callbacks (its documented arguments), written out here
# rather than read from BareMachine, so that this test does not share its assumptions.
MACHINE_HOOKS = (
    "prepare_event",
    "before_state_change",
    "after_state_change",
    "finalize_event",
    "on_exception",
    "on_final",
)
TRANSITION_HOOKS = ("conditions", "unless", "before", "after", "prepare")
STATE_HOOKS = ("on_enter", "on_exit")
MACHINE_SETTINGS = ("queued", "send_event", "ignore_invalid_triggers")


@dataclass(frozen=True)
class Hook:
    """One callback: where it goes (an argument of Machine, Transition or State), and what
    it does when called besides being recorded."""

    where: str
    index: int  # which transition or state, for those
    fails: bool
    answer: bool  # what a condition returns
    fires: int | None  # a trigger it fires at the call, by its place among the triggers


@dataclass(frozen=True)
class Plan:
    """Callbacks, settings and extra transitions, given to both machines alike."""

    hooks: tuple[Hook, ...] = ()
    settings: tuple[tuple[str, bool], ...] = ()
    final_states: tuple[int, ...] = ()
    #: (transition, state or None, first): another way out by a transition's trigger and
    #: from its sources, tried before it or when it is held back; to None, it is an
    #: internal transition (no move, no enter or exit).
    alternatives: tuple[tuple[int, int | None, bool], ...] = ()

    def build(self, make: Callable[..., Machine], config: dict[str, Any], recorder: Recorder) -> Machine:
        config = {**config, **dict(self.settings)}
        transitions = [dict(transition) for transition in config["transitions"]]
        names = [state if isinstance(state, str) else state["name"] for state in config["states"]]
        for index, state, first in self.alternatives:
            place = index % len(transitions)
            other = {**transitions[place], "dest": None if state is None else names[state % len(names)]}
            transitions.insert(place if first else place + 1, other)
        for number, hook in enumerate(self.hooks):
            made = recorder.callback(f"{hook.where}#{number}", hook)
            if hook.where in MACHINE_HOOKS:
                config[hook.where] = [*config.get(hook.where, []), made]
            elif hook.where in TRANSITION_HOOKS:
                transition = transitions[hook.index % len(transitions)]
                transition[hook.where] = [*transition.get(hook.where, []), made]
        config["transitions"] = transitions
        machine = make(**config)
        states = list(machine.states.values())
        for number, hook in enumerate(self.hooks):
            if hook.where in STATE_HOOKS:
                made = recorder.callback(f"{hook.where}#{number}", hook)
                states[hook.index % len(states)].add_callback(hook.where.removeprefix("on_"), made)
        for index in self.final_states:
            states[index % len(states)].final = True
        recorder.machine = machine
        return machine


def hooks(places: tuple[str, ...]) -> st.SearchStrategy[list[Hook]]:
    return st.lists(
        st.builds(
            Hook,
            where=st.sampled_from(places),
            index=st.integers(0, 40),
            fails=st.sampled_from([False, False, False, True]),  # mostly callbacks that return
            answer=st.booleans(),
            fires=st.none() | st.integers(0, 40),
        ),
        max_size=3,
    )


def plans(places: tuple[str, ...]) -> st.SearchStrategy[Plan]:
    return st.builds(
        Plan,
        hooks=hooks(places).map(tuple),
        settings=st.lists(st.tuples(st.sampled_from(MACHINE_SETTINGS), st.booleans()), max_size=2).map(tuple),
        final_states=st.lists(st.integers(0, 40), max_size=2).map(tuple),
        alternatives=st.lists(
            st.tuples(st.integers(0, 40), st.none() | st.integers(0, 40), st.booleans()), max_size=2
        ).map(tuple),
    )


# -- what is done to the machines --------------------------------------------------


class Model:
    """A call, as the machines see it: a plain object that keeps a state attribute."""


def draw_operation(data: st.DataObject, machine: Machine, model: Model) -> tuple[Any, ...]:
    """What the engine does with a call on a machine: add it (at the start or restored in
    any state), fire a trigger at it (most often one its state has), jump it to a step,
    remove it; and what it never does (fire with arguments, add or remove twice), on
    which both must agree too."""
    states = list(machine.states)
    state = getattr(model, machine.model_attribute, None)
    moves = sorted(machine.get_triggers(state)) if state in machine.states else []
    kind = data.draw(st.sampled_from(["move", "move", "move", "add", "trigger", "jump", "remove"]))
    if kind == "move" and moves:
        return ("trigger", data.draw(st.sampled_from(moves)), ())
    if kind in ("move", "trigger"):
        arguments = data.draw(st.sampled_from([(), (), ("spoken",)]))
        return ("trigger", data.draw(st.sampled_from(sorted(machine.events))), arguments)
    if kind == "add":
        return ("add", data.draw(st.none() | st.sampled_from(states)))
    if kind == "jump":
        return ("jump", data.draw(st.sampled_from(states)))
    return ("remove",)


def apply(machine: Machine, model: Model, operation: tuple[Any, ...]) -> Any:
    kind = operation[0]
    if kind == "add":
        return machine.add_model(model, initial=operation[1])
    if kind == "trigger":
        return machine.events[operation[1]].trigger(model, *operation[2])
    if kind == "jump":
        return machine.set_state(operation[1], model=model)
    return machine.remove_model(model)


def outcome(
    machine: Machine, recorder: Recorder, model: Model, operation: tuple[Any, ...]
) -> tuple[str, str]:
    """What an operation returned, or the error it raised: its type, and for the
    library's MachineError its message too (the engine's callers read it)."""
    recorder.model, recorder.fired = model, set()
    try:
        return "returned", repr(apply(machine, model, operation))
    except MachineError as error:
        return "MachineError", str(error)
    except Exception as error:
        return type(error).__name__, ""


# -- the comparison ------------------------------------------------------------------


def assert_both_agree(data: st.DataObject, config: dict[str, Any], plan: Plan) -> None:
    stock_recorder, bare_recorder = Recorder(), Recorder()
    stock = plan.build(stock_machine, config, stock_recorder)
    bare = plan.build(BareMachine, config, bare_recorder)
    stock_models = [Model() for _ in range(CALLS)]
    bare_models = [Model() for _ in range(CALLS)]
    attribute = config["model_attribute"]
    # Most runs add every call first, as the engine does before it fires anything.
    adding = [(call, ("add", None)) for call in range(CALLS)] if data.draw(st.booleans()) else []
    for number in range(len(adding) + data.draw(st.integers(0, 40), label="operations")):
        if number < len(adding):
            call, operation = adding[number]
        else:
            call = data.draw(st.integers(0, CALLS - 1))
            operation = draw_operation(data, stock, stock_models[call])
        expected = outcome(stock, stock_recorder, stock_models[call], operation)
        got = outcome(bare, bare_recorder, bare_models[call], operation)
        where = f"operation {number}: call {call}, {operation}"
        assert got == expected, where
        assert [getattr(model, attribute, ABSENT) for model in bare_models] == [
            getattr(model, attribute, ABSENT) for model in stock_models
        ], where
        assert bare_recorder.log == stock_recorder.log, where
    # Nothing is bound to a call: its state is all BareMachine gives it.
    assert all(set(vars(model)) <= {attribute} for model in bare_models)


@SETTINGS
@given(st.data())
def test_the_engines_machines_move_as_the_library_moves_them(data: st.DataObject) -> None:
    assert_both_agree(data, data.draw(machine_configs, label="machine"), Plan())


# Callbacks in one place at a time, then anywhere: mixed, a callback in one place sends
# most moves down the library's path, and those in the others would rarely be tested alone.
@pytest.mark.parametrize(
    "places",
    [MACHINE_HOOKS, TRANSITION_HOOKS, STATE_HOOKS, MACHINE_HOOKS + TRANSITION_HOOKS + STATE_HOOKS],
    ids=["machine", "transition", "state", "anywhere"],
)
@SETTINGS
@given(data=st.data())
def test_with_any_callback_setting_or_other_way_out_it_runs_as_the_library(
    places: tuple[str, ...], data: st.DataObject
) -> None:
    config = data.draw(machine_configs, label="machine")
    assert_both_agree(data, config, data.draw(plans(places), label="plan"))
