"""A tolerant reading of a flow document for the checks.

The semantic checks run even when the schema check found errors, so that one lint
shows every mistake. This view therefore never assumes a shape: a part of the wrong
type reads as absent, and the schema check reports it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

from flows._document import Data, Document, NodePath

#: Keys of ``on`` that are not caller answers.
RESERVED_ON_KEYS = ("no_input", "no_match", "any")
#: The step parts that wait for the caller.
WAITING_PARTS = ("gather", "consult")


def as_dict(value: Data) -> dict[str, Data]:
    return value if isinstance(value, dict) else {}


def as_str(value: Data) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class StepView:
    id: str
    body: dict[str, Data]

    @property
    def path(self) -> NodePath:
        return ("steps", self.id)

    def at(self, *parts: str) -> NodePath:
        return (*self.path, *parts)

    @property
    def waits(self) -> bool:
        return any(part in self.body for part in WAITING_PARTS)

    @property
    def on(self) -> dict[str, Data]:
        return as_dict(self.body.get("on"))

    def targets(self) -> Iterator[tuple[NodePath, str]]:
        """Every step id this step may lead to, with the path of the value naming it."""
        following = as_str(self.body.get("next"))
        if following is not None:
            yield self.at("next"), following
        for key, target in self.on.items():
            if isinstance(target, str):
                yield self.at("on", key), target


class FlowView:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.top = as_dict(document.data)

    @property
    def mode(self) -> str:
        return "conversation" if self.top.get("mode") == "conversation" else "notify"

    # Cached: every check walks the steps, and a flow may have tens of thousands.
    @functools.cached_property
    def steps(self) -> tuple[StepView, ...]:
        return tuple(
            StepView(step_id, body)
            for step_id, body in as_dict(self.top.get("steps")).items()
            if isinstance(body, dict)
        )

    @functools.cached_property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(as_dict(self.top.get("steps")))

    @property
    def start_id(self) -> str | None:
        start = as_str(self.top.get("start"))
        if start is not None:
            return start
        return self.step_ids[0] if self.step_ids else None

    @property
    def inputs(self) -> dict[str, dict[str, Data]]:
        return {name: as_dict(spec) for name, spec in as_dict(self.top.get("inputs")).items()}

    def gather_settings(self, step: StepView) -> dict[str, Data]:
        """The step's gather with the flow's ``defaults`` filled in."""
        return {**as_dict(self.top.get("defaults")), **as_dict(step.body.get("gather"))}
