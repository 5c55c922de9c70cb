"""Each command's --help lists the exit statuses it returns."""

from __future__ import annotations

import pytest

from tests.conftest import CLI

STEER = (
    "exit status: 0 done, 1 no server is running or the call cannot be steered",
    "2 the arguments are wrong or the config file cannot be read.",
)


@pytest.mark.parametrize(
    ("command", "exit_status"),
    [
        (
            "serve",
            (
                "exit status: 0 stopped, 1 cannot listen on the address or the tunnel of --expose failed, "
                "2 the config file cannot be read or is invalid, a flow in it does not lint clean or the "
                "carrier cannot take it, no tunnel tool is installed, or the arguments are wrong.",
            ),
        ),
        ("speak", STEER),
        ("continue", STEER),
        ("dtmf", STEER),
        ("end", STEER),
        ("schema", ("exit status: 0 printed, 2 the arguments are wrong.",)),
        (
            "expose",
            (
                "exit status: 1 the tool exited or printed no address within 30 s, 2 no tunnel tool is "
                "installed, the config file cannot be read or the arguments are wrong, 130 Ctrl-C.",
            ),
        ),
    ],
)
def test_help_lists_the_exit_statuses(cli: CLI, command: str, exit_status: tuple[str, ...]) -> None:
    result = cli(command, "--help")
    assert (result.code, result.err) == (0, "")
    # argparse wraps the text to the terminal's width; compare it as one line.
    one_line = " ".join(result.out.split())
    for status in exit_status:
        assert status in one_line
