from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from flows._loader import MAX_DEPTH, MAX_NODES
from tests.conftest import CLI


def test_help_lists_the_commands(cli: CLI) -> None:
    result = cli("--help")
    assert result.code == 0
    for command in ("lint", "graph", "schema"):
        assert command in result.out


def test_no_command_is_a_usage_error(cli: CLI) -> None:
    result = cli()
    assert result.code == 2
    assert result.err.startswith("callflow: error: the following arguments are required: COMMAND")


def test_an_unknown_command_is_a_usage_error(cli: CLI) -> None:
    result = cli("lnt")
    assert result.code == 2
    assert "invalid choice: 'lnt'" in result.err


def test_version_is_printed(cli: CLI) -> None:
    result = cli("--version")
    assert result.code == 0
    assert result.out.startswith("callflow ")


TOO_DEEP = f"the document is too large or too deeply nested (limits: {MAX_NODES} nodes, depth {MAX_DEPTH})"


@pytest.mark.parametrize("levels", [200, 500, 5_000])
@pytest.mark.parametrize("command", ["lint", "simulate", "graph", "render", "test"])
def test_deep_nesting_is_a_positioned_syntax_error_in_every_command(
    cli: CLI, write_flow: Callable[..., Path], command: str, levels: int
) -> None:
    # Python's stack runs out near 1,000 frames: 500 levels overflowed the YAML library.
    flow = write_flow(
        f"version: 1\nname: deep\nmode: notify\ngreeting: Hi\ndescription: {'[' * levels}{']' * levels}\n"
    )
    # The first bracket, in column 14, is at depth 1: the one past MAX_DEPTH is reported.
    where = f"{flow}:5:{14 + MAX_DEPTH}"
    if command == "test":
        tests = write_flow("cases:\n  - name: any\n    expect: {end_reason: completed}\n", "flow.test.yaml")
        result = cli("test", tests)
        assert f"  ERROR the flow under test: {where}: {TOO_DEEP}\n" in result.out
    else:
        result = cli(command, flow)
        if command == "lint":
            assert f"{where}: error: {TOO_DEEP} [yaml-syntax]\n" in result.out
        else:
            assert result.err == f"callflow {command}: error: {where}: {TOO_DEEP}\n"
    assert result.code == 2


def test_a_nul_byte_is_reported_where_it_stands(cli: CLI, write_flow: Callable[..., Path]) -> None:
    flow = write_flow('version: 1\nname: nul\nmode: notify\ngreeting: "Hi\0 there"\n')
    result = cli("lint", flow)
    assert result.code == 2
    assert result.out.splitlines()[0] == (
        f"{flow}:4:14: error: not valid YAML: unacceptable character #x0000: "
        "special characters are not allowed [yaml-syntax]"
    )
