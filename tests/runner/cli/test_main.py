from __future__ import annotations

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
