"""Errors raised by the flows package.

    FlowError                 the root: anything this package raises on purpose
    ├── FlowFileError         a file could not be read (missing, a folder, not UTF-8)
    ├── FlowSyntaxError       a file is not YAML; carries the file, line and column
    └── FlowInvalidError      a flow with lint errors was to be compiled; carries them

Linting a document that is YAML but not a valid flow raises nothing: it reports the
problems as data (see ``Problem``). Only compiling such a document raises.
"""

from __future__ import annotations

from flows._problems import Mark, Problem


class FlowError(Exception):
    """Root of every error this package raises on purpose."""


class FlowFileError(FlowError):
    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


class FlowSyntaxError(FlowError):
    def __init__(self, file: str, mark: Mark, reason: str) -> None:
        super().__init__(f"{file}:{mark.line}:{mark.column}: {reason}")
        self.file = file
        self.mark = mark
        self.reason = reason


class FlowInvalidError(FlowError):
    def __init__(self, file: str, problems: list[Problem]) -> None:
        count = len(problems)
        errors = f"{count} lint error{'s' if count != 1 else ''}"
        super().__init__(f"{file} has {errors}; run 'callflow lint {file}'")
        self.file = file
        self.problems = problems
