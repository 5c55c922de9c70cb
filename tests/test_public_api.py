"""Each package's ``__all__`` is its chosen public API, and it is complete."""

from __future__ import annotations

import ast
import subprocess
import sys
import types
from pathlib import Path

import pytest

import flows
import runner
import runner.agent
import runner.campaigns
import runner.config
import runner.dialects
import runner.engine
import runner.server
import runner.service
import runner.store


@pytest.mark.parametrize(
    "package",
    [
        flows,
        runner,
        runner.agent,
        runner.campaigns,
        runner.config,
        runner.dialects,
        runner.engine,
        runner.server,
        runner.service,
        runner.store,
    ],
    ids=lambda package: package.__name__,
)
def test_all_lists_exactly_the_public_names(package: types.ModuleType) -> None:
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
    assert set(package.__all__) == public


def test_flows_never_imports_runner() -> None:
    imported: list[str] = []
    for source in Path(flows.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.append(node.module)
    assert imported, "the scan found no imports at all"
    assert [name for name in imported if name.split(".")[0] == "runner"] == []


def test_importing_the_vocabulary_loads_no_server() -> None:
    # A fresh interpreter: this one has imported the server for other tests.
    probe = (
        "import sys, runner.types, runner.engine, flows; "
        "print(sorted(m for m in ('uvicorn', 'starlette', 'httpx', 'runner.cli', 'runner.server') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
