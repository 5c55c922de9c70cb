"""References between steps: every target names a step, every step can be reached."""

from __future__ import annotations

from collections.abc import Iterator

from flows._checks._words import where
from flows._problems import Problem, Severity
from flows._suggest import Hints
from flows._view import FlowView, as_str

UNKNOWN_STEP = "unknown-step"
UNREACHABLE_STEP = "unreachable-step"
RULES = (UNKNOWN_STEP, UNREACHABLE_STEP)


def check_references(flow: FlowView) -> Iterator[Problem]:
    file, document = flow.document.file, flow.document
    ids = flow.step_ids
    known = set(ids)
    hint = Hints(ids)
    named: list[tuple[tuple[str | int, ...], str]] = []
    start = as_str(flow.top.get("start"))
    if start is not None:
        named.append((("start",), start))
    for step in flow.steps:
        named.extend(step.targets())
    for path, target in named:
        if target not in known:
            expected = "a step id" if ids else "a step id, but this flow has no steps"
            yield Problem(
                file,
                document.mark(path),
                Severity.ERROR,
                UNKNOWN_STEP,
                f"expected {expected}{where(path)}, found '{target}'{hint(target)}",
            )
    yield from _unreachable(flow)


def _unreachable(flow: FlowView) -> Iterator[Problem]:
    start = flow.start_id
    if start is None:
        return
    by_id = {step.id: step for step in flow.steps}
    reached = {start}
    pending = [start]
    while pending:
        step = by_id.get(pending.pop())
        if step is None:
            continue
        for _, target in step.targets():
            if target not in reached:
                reached.add(target)
                pending.append(target)
    for step_id in flow.step_ids:
        if step_id not in reached:
            yield Problem(
                flow.document.file,
                flow.document.key_mark(("steps", step_id)),
                Severity.WARNING,
                UNREACHABLE_STEP,
                f"step '{step_id}' is never reached from the start step '{start}'",
            )
