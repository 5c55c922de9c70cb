"""A ``transitions`` Machine that binds nothing to its models.

Calls are fired through ``machine.events[...]`` and keep their state in one attribute,
so the convenience methods transitions would bind to every model (``trigger``,
``is_<state>``, ``may_<trigger>``, one per trigger) and the ``on_enter_<state>``
lookups on the model are never used. Left on, they cost more than the rest of a
simulated call (and ``model_override`` logs a warning for each skipped binding, on
every ``add_model``). The three hooks below are where the library binds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from transitions import Event, Machine, Transition
from transitions.core import EventData, listify


class _Models:
    """The machine's models, added, found and removed in constant time.

    transitions keeps its models in a list: ``model in models`` on every ``add_model``
    and ``list.remove`` on every ``remove_model`` are linear, so with thousands of
    calls in flight, adding and removing one call would cost more than the call. This
    keeps them by identity, in the order they came, and offers what transitions uses
    of a list.
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

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._by_id.values()))

    def __len__(self) -> int:
        return len(self._by_id)

    def __getitem__(self, index: int) -> Any:
        return list(self._by_id.values())[index]


def _hooked(machine: Machine) -> bool:
    """Whether anything hooks into the machine's events as a whole."""
    return bool(
        machine.has_queue
        or machine.prepare_event
        or machine.finalize_event
        or machine.on_exception
        or machine.before_state_change
        or machine.after_state_change
        or machine.on_final
    )


class _PlainTransition(Transition):
    """A transition that only moves the model when nothing hooks into it.

    Our machines have no conditions and no callbacks: the engine acts on what a move
    returns, not in callbacks. transitions would still walk six empty callback lists
    and log four debug lines per move, which is most of the cost of a move; with a
    hook added, this is the library's transition, unchanged.
    """

    def execute(self, event_data: EventData) -> bool:
        machine, dest = event_data.machine, self.dest
        if (
            dest is None
            or self.prepare
            or self.conditions
            or self.before
            or self.after
            or _hooked(machine)
            or machine.states[self.source].on_exit
            or machine.states[dest].on_enter
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
        transitions = self.transitions.get(state)
        if args or kwargs or transitions is None or _hooked(machine):
            # Also the library's way of refusing a move from a state with no transition.
            return bool(super().trigger(model, *args, **kwargs))
        event_data = EventData(machine.states[state], self, machine, model, args=(), kwargs={})
        for transition in transitions:
            event_data.transition = transition
            if transition.execute(event_data):
                event_data.result = True
                break
        return bool(event_data.result)


class BareMachine(Machine):
    transition_cls = _PlainTransition
    event_cls = _PlainEvent

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(model=None, auto_transitions=False, model_override=True, **kwargs)
        # transitions declares a list; _Models offers every list operation it uses.
        self.models = _Models()  # type: ignore[assignment]

    def add_model(self, model: Any, initial: Any = None) -> None:
        # transitions' own walks every trigger and state to bind it to the model (the
        # hooks below); nothing is bound here, so a model only gets its first state.
        state = self.initial if initial is None else initial
        if state is None:
            raise ValueError("no initial state: give one when adding the model")
        for each in listify(model):
            if each not in self.models:
                self.set_state(state, model=each)
                self.models.append(each)

    def _checked_assignment(self, model: Any, name: str, func: Any) -> None:
        return None

    def _add_model_to_state(self, state: Any, model: Any) -> None:
        return None

    def _add_trigger_to_model(self, trigger: str, model: Any) -> None:
        return None
