"""The size limit of a flow, checked before any other check runs."""

from __future__ import annotations

from flows._document import Document
from flows._problems import Problem, Severity
from flows._view import as_dict

TOO_MANY_STEPS = "too-many-steps"
RULES = (TOO_MANY_STEPS,)

#: The most steps a flow may have. Every check is near-linear in the steps, but 90,000
#: already take one to two minutes to lint, most of it reading the YAML
#: (bench/lint_scale.py); past the limit a flow is refused before any check runs.
MAX_STEPS = 100_000


def check_size(document: Document) -> Problem | None:
    """The problem that refuses a flow too large to check, or None."""
    count = len(as_dict(as_dict(document.data).get("steps")))
    if count <= MAX_STEPS:
        return None
    return Problem(
        document.file,
        document.key_mark(("steps",)),
        Severity.ERROR,
        TOO_MANY_STEPS,
        f"expected at most {MAX_STEPS:,} steps, found {count:,}; split the flow, "
        "or move what repeats into templates and inputs",
    )
