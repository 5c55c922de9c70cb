"""What every command shares: the exit-code errors and an argument parser that raises."""

from __future__ import annotations

import argparse
from typing import NoReturn


class CommandError(Exception):
    """A command could not do its job. ``exit_code`` is what ``main`` returns."""

    exit_code = 1


class UsageError(CommandError):
    """Bad arguments, or input that is missing or unreadable."""

    exit_code = 2


class ParserExit(Exception):
    """argparse wanted to exit (after --help, say); carries the status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class ArgumentParser(argparse.ArgumentParser):
    """An argparse parser that raises instead of exiting, so ``main(argv)`` returns."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self._print_message(message)
        raise ParserExit(status)
