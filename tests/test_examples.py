from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CLI, EXAMPLES

FLOW_FILES = sorted(path for path in EXAMPLES.glob("*.yaml") if not path.name.endswith(".test.yaml"))


def test_there_are_examples_to_copy_from() -> None:
    assert len(FLOW_FILES) >= 5


@pytest.mark.parametrize("flow", FLOW_FILES, ids=lambda path: path.name)
def test_example_lints_clean_even_when_strict(cli: CLI, flow: Path) -> None:
    result = cli("lint", "--strict", flow)
    assert result.code == 0, result.out + result.err
    assert result.out.strip() == "checked 1 file: no problems"


@pytest.mark.parametrize("flow", FLOW_FILES, ids=lambda path: path.name)
def test_example_points_editors_at_the_schema(flow: Path) -> None:
    first_line = flow.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../schema/flow.schema.json"
    assert (flow.parent / "../schema/flow.schema.json").resolve().is_file()


@pytest.mark.parametrize("flow", FLOW_FILES, ids=lambda path: path.name)
def test_example_has_flow_tests_that_pass(cli: CLI, flow: Path) -> None:
    tests = flow.with_name(flow.name.removesuffix(".yaml") + ".test.yaml")
    assert tests.is_file(), f"{flow.name} has no flow tests beside it"
    result = cli("test", tests)
    assert result.code == 0, result.out
    assert " 0 failed" in result.out.splitlines()[-1]
