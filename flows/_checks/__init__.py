"""The lint checks. Each takes a flow and yields the problems it finds."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from flows._checks.consult import check_consults
from flows._checks.loops import check_loops
from flows._checks.references import check_references
from flows._checks.schema import check_schema
from flows._checks.size import check_size
from flows._checks.structure import check_structure
from flows._checks.templates import check_templates
from flows._checks.values import check_values
from flows._document import Document
from flows._problems import Problem
from flows._view import FlowView

Check = Callable[[FlowView], Iterable[Problem]]

SEMANTIC_CHECKS: tuple[Check, ...] = (
    check_structure,
    check_references,
    check_templates,
    check_values,
    check_loops,
    check_consults,
)


def run_checks(document: Document) -> Iterator[Problem]:
    too_large = check_size(document)
    if too_large is not None:
        yield too_large
        return  # nothing else is checked: the flow is refused
    yield from check_schema(document)
    if not isinstance(document.data, dict):
        return  # the schema check said what the top level should be
    view = FlowView(document)
    for check in SEMANTIC_CHECKS:
        yield from check(view)
