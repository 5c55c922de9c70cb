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

from transitions import Machine


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


class BareMachine(Machine):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(model=None, auto_transitions=False, model_override=True, **kwargs)
        # transitions declares a list; _Models offers every list operation it uses.
        self.models = _Models()  # type: ignore[assignment]

    def _checked_assignment(self, model: Any, name: str, func: Any) -> None:
        return None

    def _add_model_to_state(self, state: Any, model: Any) -> None:
        return None

    def _add_trigger_to_model(self, trigger: str, model: Any) -> None:
        return None
