from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable

import pytest

from flows import compile_document, parse_document
from runner.engine import FlowEngine

EngineFactory = Callable[[str], FlowEngine]


@pytest.fixture
def engine_for() -> EngineFactory:
    """A FlowEngine for a flow given as YAML text (it must lint clean)."""

    def build(text: str) -> FlowEngine:
        document, problems = parse_document(textwrap.dedent(text).lstrip("\n"), "flow.yaml")
        return FlowEngine(compile_document(document, problems))

    return build


@pytest.fixture
def event_ids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"e{next(counter)}"
