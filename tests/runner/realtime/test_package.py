"""``runner.realtime``'s ``__all__`` is its chosen public API, and it is complete."""

from __future__ import annotations

import types

import runner.realtime


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(runner.realtime).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
    assert set(runner.realtime.__all__) == public
