"""``pip install -e '.[bench]'`` installs every package the benchmarks in bench/ import."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import PROJECT

OWN_PACKAGES = {"flows", "runner", "bench", "tests"}
# A benchmark run as a script imports its helpers in bench/ as top-level modules.
BENCH_MODULES = {script.stem for script in (PROJECT / "bench").glob("*.py")}


def _distribution_name(requirement: str) -> str:
    name = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert name is not None, requirement
    return re.sub(r"[-_.]+", "-", name.group()).lower()


def _imported_modules(script: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module.split(".")[0])
    return modules - OWN_PACKAGES - BENCH_MODULES - set(sys.stdlib_module_names)


@pytest.mark.parametrize("script", sorted((PROJECT / "bench").glob("*.py")), ids=lambda path: path.name)
def test_the_bench_extra_installs_what_each_benchmark_imports(script: Path) -> None:
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    installed = {
        _distribution_name(requirement)
        for requirement in [*project["dependencies"], *project["optional-dependencies"]["bench"]]
    }
    distributions = importlib.metadata.packages_distributions()
    for module in _imported_modules(script):
        names = {_distribution_name(name) for name in distributions.get(module, [module])}
        assert names & installed, f"{script.name} imports {module}, which the bench extra does not install"
