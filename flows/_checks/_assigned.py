"""Which set variables are sure to be assigned when a step is entered.

A variable counts only when every way from the start step to a step assigns it, so a
name set on one branch cannot be a blank at call time on another. This is a must-
assign dataflow over the step graph, solved by worklists in time near-linear in the
steps and edges: the sets carried are cut down to the variables still to be read
(live), so a long chain that sets a new variable at every step carries a few names
per step, not every name set above it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence, Set

from flows._view import FlowView

Names = frozenset[str]


def assigned_on_entry(flow: FlowView, wanted: Mapping[str, Set[str]]) -> dict[str, Names]:
    """Of the set variables ``wanted`` on entry to each step, those sure to be assigned.

    Steps never reached count every wanted name as assigned, so they add no noise to
    the unreachable-step warning; so do all steps when the start step is unknown.
    """
    steps = flow.steps
    index = {step.id: number for number, step in enumerate(steps)}
    start = index.get(flow.start_id) if flow.start_id is not None else None
    if start is None or not any(wanted.values()):
        return {step_id: frozenset(names) for step_id, names in wanted.items()}
    successors = [
        list(dict.fromkeys(index[target] for _, target in step.targets() if target in index))
        for step in steps
    ]
    order = _reverse_postorder(successors, start)
    predecessors: dict[int, list[int]] = {number: [] for number in order}
    for number in order:
        for target in successors[number]:
            predecessors[target].append(number)
    assigns = [frozenset(_set_names(body)) for body in (step.body for step in steps)]
    uses = {number: frozenset(wanted.get(steps[number].id, ())) for number in order}
    live = _live_on_entry(order, successors, predecessors, uses, assigns)
    on_entry = _must_assign(order, start, successors, predecessors, assigns, live)
    return {
        step_id: on_entry[index[step_id]] & frozenset(names)
        if step_id in index and index[step_id] in on_entry
        else frozenset(names)
        for step_id, names in wanted.items()
    }


def _set_names(body: Mapping[str, object]) -> Iterable[str]:
    assignments = body.get("set")
    return assignments if isinstance(assignments, dict) else ()


def _reverse_postorder(successors: Sequence[Sequence[int]], start: int) -> list[int]:
    """The steps reached from ``start``, each before the steps it leads to (loops aside).

    A loop with an explicit stack: a chain of steps as deep as the flow is long must
    not exhaust Python's recursion limit.
    """
    finished: list[int] = []
    seen = {start}
    stack = [(start, iter(successors[start]))]
    while stack:
        number, children = stack[-1]
        for child in children:
            if child not in seen:
                seen.add(child)
                stack.append((child, iter(successors[child])))
                break
        else:
            stack.pop()
            finished.append(number)
    finished.reverse()
    return finished


def _live_on_entry(
    order: Sequence[int],
    successors: Sequence[Sequence[int]],
    predecessors: Mapping[int, Sequence[int]],
    uses: Mapping[int, Names],
    assigns: Sequence[Names],
) -> dict[int, Names]:
    """The wanted variables each step may still read, on some way on, before setting them."""
    live = dict(uses)
    # Backwards: a step after the steps it leads to, so most steps settle at first sight.
    pending = deque(reversed(order))
    queued = set(order)
    while pending:
        number = pending.popleft()
        queued.discard(number)
        value = set(uses[number])
        for target in successors[number]:
            value.update(live[target] - assigns[number])
        if value != live[number]:
            live[number] = frozenset(value)
            for source in predecessors[number]:
                if source not in queued:
                    queued.add(source)
                    pending.append(source)
    return live


def _must_assign(
    order: Sequence[int],
    start: int,
    successors: Sequence[Sequence[int]],
    predecessors: Mapping[int, Sequence[int]],
    assigns: Sequence[Names],
    live: Mapping[int, Names],
) -> dict[int, Names]:
    """The live variables assigned on every way from the start to each step.

    Starts from the most a step could have (all its live names) and narrows it until
    nothing changes; nothing is assigned on entry to the start step, even from a loop.
    """
    on_entry = dict(live)
    on_entry[start] = frozenset()
    # Forwards: a step after the steps that lead to it, so a step with many ways in
    # is narrowed once per round, not once per way in.
    pending = deque(order)
    queued = set(order)
    while pending:
        number = pending.popleft()
        queued.discard(number)
        if number == start:
            continue
        ways_in = predecessors[number]
        value = frozenset(
            name
            for name in live[number]
            if all(name in on_entry[source] or name in assigns[source] for source in ways_in)
        )
        if value != on_entry[number]:
            on_entry[number] = value
            for target in successors[number]:
                if target not in queued:
                    queued.add(target)
                    pending.append(target)
    return on_entry
