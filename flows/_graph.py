"""A flow as a Mermaid flowchart, to look at in any Markdown viewer."""

from __future__ import annotations

from flows._document import Document
from flows._view import FlowView, StepView, as_str

_END = "hangup"


def _label(text: str) -> str:
    # Mermaid reads '"' as the end of a label; its entity form shows as a quote.
    return '"' + text.replace('"', "#quot;") + '"'


def mermaid(document: Document) -> str:
    """The Mermaid ``flowchart`` of a flow: steps as nodes, transitions as edges.

    Edges from a gather are labelled with their ``on`` keys; every way the call can
    end leads to one 'hang up' node.
    """
    flow = FlowView(document)
    node_ids = {step_id: f"step{index}" for index, step_id in enumerate(flow.step_ids)}
    lines = ["flowchart TD", f"    start([{_label('start')}])"]
    first = node_ids.get(flow.start_id or "", _END)
    if isinstance(flow.top.get("greeting"), str):
        lines.append(f"    greeting[/{_label('greeting')}/]")
        lines.append(f"    start --> greeting --> {first}")
    else:
        lines.append(f"    start --> {first}")
    for step in flow.steps:
        lines.append(f"    {node_ids[step.id]}{_shape(step)}")
    ends = False
    for step in flow.steps:
        for label, target in _edges(step):
            target_id = node_ids.get(target, _END) if target is not None else _END
            ends = ends or target_id == _END
            arrow = f" -->|{_label(label)}| " if label else " --> "
            lines.append(f"    {node_ids[step.id]}{arrow}{target_id}")
    if ends or not flow.steps:
        lines.insert(2, f"    {_END}(({_label('hang up')}))")
    return "\n".join(lines) + "\n"


def _shape(step: StepView) -> str:
    if "gather" in step.body:
        return "{" + _label(step.id) + "}"
    if "consult" in step.body:
        return "[[" + _label(f"{step.id}: consult") + "]]"
    if "transfer" in step.body:
        return "[" + _label(f"{step.id}: transfer") + "]"
    return "[" + _label(step.id) + "]"


def _edges(step: StepView) -> list[tuple[str, str | None]]:
    """(label, target step id or None for the end) for every way out of a step."""
    edges: list[tuple[str, str | None]] = [
        (key, target) for key, target in step.on.items() if isinstance(target, str)
    ]
    following = as_str(step.body.get("next"))
    if following is not None:
        edges.append(("", following))
    elif not step.on or step.body.get("hangup") is True:
        edges.append(("", None))
    return edges
