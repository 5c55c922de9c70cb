"""A ``transitions`` Machine that binds nothing to its models.

Calls are fired through ``machine.events[...]`` and keep their state in one attribute,
so the convenience methods transitions would bind to every model (``trigger``,
``is_<state>``, ``may_<trigger>``, one per trigger) and the ``on_enter_<state>``
lookups on the model are never used. Left on, they cost more than the rest of a
simulated call (and ``model_override`` logs a warning for each skipped binding, on
every ``add_model``). The three hooks below are where the library binds them.
"""

from __future__ import annotations

from typing import Any

from transitions import Machine


class BareMachine(Machine):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(model=None, auto_transitions=False, model_override=True, **kwargs)

    def _checked_assignment(self, model: Any, name: str, func: Any) -> None:
        return None

    def _add_model_to_state(self, state: Any, model: Any) -> None:
        return None

    def _add_trigger_to_model(self, trigger: str, model: Any) -> None:
        return None
