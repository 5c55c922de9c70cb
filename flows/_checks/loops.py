"""Loops that never wait for the caller: on a live call they would spin forever."""

from __future__ import annotations

from collections.abc import Iterator

from flows._problems import Problem, Severity
from flows._view import FlowView, as_str

BUSY_LOOP = "busy-loop"
RULES = (BUSY_LOOP,)


def check_loops(flow: FlowView) -> Iterator[Problem]:
    # Only a step that does not wait can be part of a busy loop, and such a step has
    # at most one way on: its 'next'. So the busy loops are the cycles of a graph where
    # each step has at most one edge, and one walk that never revisits a finished step
    # finds them all in time linear in the steps (a special case of an SCC search).
    following = {
        step.id: target
        for step in flow.steps
        if not step.waits and (target := as_str(step.body.get("next"))) is not None
    }
    order = {step_id: index for index, step_id in enumerate(flow.step_ids)}
    finished: set[str] = set()
    for origin in flow.step_ids:
        walked: dict[str, int] = {}  # the steps of this walk, by their place in it
        current: str | None = origin
        while current is not None and current in following and current not in finished:
            if current in walked:
                yield _busy_loop(flow, list(walked)[walked[current] :], order)
                break
            walked[current] = len(walked)
            current = following[current]
        finished.update(walked)


def _busy_loop(flow: FlowView, cycle: list[str], order: dict[str, int]) -> Problem:
    first = min(cycle, key=order.__getitem__)
    turn = cycle.index(first)
    ordered = cycle[turn:] + cycle[:turn]
    shown = " -> ".join([*ordered, ordered[0]])
    return Problem(
        flow.document.file,
        flow.document.mark(("steps", first, "next")),
        Severity.ERROR,
        BUSY_LOOP,
        f"steps {shown} loop without waiting for the caller; a live call would spin here "
        "forever: add a gather or consult, or end the loop with hangup",
    )
