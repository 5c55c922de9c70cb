"""What a check reports: one problem at one place in one file."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Mark:
    """A 1-based position in a file."""

    line: int
    column: int


@dataclass(frozen=True)
class Problem:
    """One mistake in a flow document, at the YAML node it is about."""

    file: str
    mark: Mark
    severity: Severity
    rule: str
    message: str

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.mark.line, self.mark.column, self.rule, self.message)

    def format(self) -> str:
        return (
            f"{self.file}:{self.mark.line}:{self.mark.column}: "
            f"{self.severity.value}: {self.message} [{self.rule}]"
        )

    def as_json(self) -> dict[str, str | int]:
        return {
            "file": self.file,
            "line": self.mark.line,
            "column": self.mark.column,
            "severity": self.severity.value,
            "rule": self.rule,
            "message": self.message,
        }
