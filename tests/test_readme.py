"""The README's lint sample is real output, not a mock-up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import CLI, PROJECT


def test_readme_lint_sample_is_what_callflow_prints(
    cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    flow = re.search(r"```yaml\n(.*?)```", readme, re.DOTALL)
    shown = re.search(r"```text\n\$ callflow lint menu.yaml\n(.*?)```", readme, re.DOTALL)
    assert flow is not None
    assert shown is not None
    (tmp_path / "menu.yaml").write_text(flow.group(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = cli("lint", "menu.yaml")
    assert result.out == shown.group(1)
    assert result.code == 1
