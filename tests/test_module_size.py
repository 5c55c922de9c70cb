"""Small modules, one concept each (../shared/STYLE.md): none grows past 400 lines.

A module that needs more is a plan to split it, not a reason to raise the bound.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MOST_LINES = 400


def test_no_source_module_is_over_400_lines() -> None:
    sources = [path for folder in ("flows", "runner", "bench") for path in (ROOT / folder).rglob("*.py")]
    assert len(sources) > 50, "the scan found too few modules"
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in sources
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MOST_LINES
    }
    assert too_long == {}
