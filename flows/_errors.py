"""Errors raised by the flows package.

    FlowError                 the root: anything this package raises on purpose
    ├── FlowFileError         a file could not be read (missing, a folder, not UTF-8)
    └── FlowSyntaxError       a file is not YAML; carries the file, line and column

A document that is YAML but not a valid flow raises nothing: linting reports its
problems as data (see ``Problem``).
"""

from __future__ import annotations

from flows._problems import Mark


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
