"""A ``transitions`` Machine that binds nothing to its models and moves them plainly.

Calls are fired through ``machine.events[...]`` and keep their state in one attribute,
so the convenience methods transitions would bind to every model (``trigger``,
``is_<state>``, ``may_<trigger>``, one per trigger) and the ``on_enter_<state>``
lookups on the model are never used. Left on, they cost more than the rest of a
simulated call (and the library's ``model_override`` would still walk them all, logging
a warning for each binding it skips, on every ``add_model``).

A move with no callback anywhere only sets the model's state; with any callback, or a
queue, it runs as the library runs it. Which attributes hold callbacks is read from
the library itself (see ``callback_lists``), so a hook added by a later version of
transitions sends moves down the library's path instead of being skipped. Its other
arguments are listed, with why a plain move may ignore each, in the tests of this
module, which fail when the library grows one.
"""

from __future__ import annotations

from inspect import signature
from operator import attrgetter
from typing import Any

from transitions import Event, Machine, State, Transition
from transitions.core import EventData, listify


def callback_lists(cls: type, probe: object) -> tuple[str, ...]:
    """The arguments of ``cls`` that ``probe``, built without them, keeps as lists of callbacks.

    transitions turns every callback argument (``after``, ``on_enter``, ``prepare_event``,
    ...) into a list attribute of the same name, and no other argument into a list.
    """
    return tuple(
        name
        for name, parameter in signature(cls).parameters.items()
        if parameter.default is None and isinstance(getattr(probe, name, None), list)
    )


MACHINE_CALLBACKS = callback_lists(Machine, Machine(model=None))
TRANSITION_CALLBACKS = callback_lists(Transition, Transition("source", "dest"))
STATE_CALLBACKS = callback_lists(State, State("state"))

# Each getter returns the lists (or, for a single name, the list) of one object: any()
# of that is true when a callback is set anywhere on it.
_machine_callbacks = attrgetter(*MACHINE_CALLBACKS)
_transition_callbacks = attrgetter(*TRANSITION_CALLBACKS)
_state_callbacks = attrgetter(*STATE_CALLBACKS)


def _hooked(machine: Machine) -> bool:
    """Whether anything hooks into the machine's events as a whole."""
    return bool(machine.has_queue or any(_machine_callbacks(machine)))


class _Models:
    """The machine's models, added, found and removed in constant time.

    transitions keeps its models in a list: ``model in models`` on every ``add_model``
    and ``list.remove`` on every ``remove_model`` are linear, so with thousands of
    calls in flight, adding and removing one call would cost more than the call. This
    keeps them by identity and offers what transitions uses of the list as models come
    and go: ``in``, ``append`` and ``remove``.
    """

    def __init__(self) -> None:
        self._by_id: dict[int, Any] = {}

    def __contains__(self, model: object) -> bool:
        return id(model) in self._by_id

    def append(self, model: Any) -> None:
        self._by_id[id(model)] = model

    def remove(self, model: Any) -> None:
        if self._by_id.pop(id(model), None) is None:
            raise ValueError("not a model of this machine")


class _PlainTransition(Transition):
    """A transition that only moves the model when nothing hooks into it.

    Our machines have no conditions and no callbacks: the engine acts on what a move
    returns, not in callbacks. transitions would still walk six empty callback lists
    and log four debug lines per move, which is most of the cost of a move; with a
    hook added, this is the library's transition, unchanged.
    """

    def execute(self, event_data: EventData) -> bool:
        if _hooked(event_data.machine):
            return bool(super().execute(event_data))
        return self.execute_in_unhooked_machine(event_data)

    def execute_in_unhooked_machine(self, event_data: EventData) -> bool:
        """``execute``, in a machine known to have no callbacks and no queue of its own."""
        machine, dest = event_data.machine, self.dest
        if (
            dest is None
            or any(_transition_callbacks(self))
            or any(_state_callbacks(machine.states[self.source]))
            or any(_state_callbacks(machine.states[dest]))
        ):
            return bool(super().execute(event_data))
        # What Machine.set_state does for one model and a state given by name.
        setattr(event_data.model, machine.model_attribute, machine.states[dest].value)
        return True


class _PlainEvent(Event):
    """An event fired straight at its transitions when nothing hooks into the machine.

    The library's trigger wraps every firing in a partial, a queue check and two rounds
    of (empty) machine callbacks; with any of those in use, it runs as the library's.
    """

    def trigger(self, model: Any, *args: Any, **kwargs: Any) -> bool:
        machine = self.machine
        state = getattr(model, machine.model_attribute)
        # BareMachine makes every transition of its events with transition_cls, a _PlainTransition.
        transitions: list[Any] | None = self.transitions.get(state)
        if args or kwargs or transitions is None or _hooked(machine):
            # Also the library's way of refusing a move from a state with no transition.
            return bool(super().trigger(model, *args, **kwargs))
        event_data = EventData(machine.states[state], self, machine, model, args=(), kwargs={})
        for transition in transitions:
            event_data.transition = transition
            if transition.execute_in_unhooked_machine(event_data):
                event_data.result = True
                break
        return bool(event_data.result)


class BareMachine(Machine):
    """A Machine for many models fired through ``events``: nothing is bound to a model."""

    transition_cls = _PlainTransition
    event_cls = _PlainEvent

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(model=None, auto_transitions=False, **kwargs)
        # transitions declares a list; _Models offers what it uses of one as models come and go.
        self.models = _Models()  # type: ignore[assignment]

    def add_model(self, model: Any, initial: Any = None) -> None:
        # The library's own walks every trigger and state to bind them to the model;
        # here a model only gets its first state.
        state = self.initial if initial is None else initial
        if state is None:
            raise ValueError("no initial state: give one when adding the model")
        for each in listify(model):
            if each not in self.models:
                self.set_state(state, model=each)
                self.models.append(each)
