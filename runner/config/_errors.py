"""Errors raised by the config package.

    ConfigError               the root: anything this package raises on purpose
    ├── ConfigFileError       the file cannot be read (missing, a folder, not UTF-8); carries
    │                         the file and the reason
    └── ConfigInvalidError    the file is not YAML or breaks the config format; carries the
                              file and its problems, each with line and column

Messages never contain a credential: a secret that fails validation is described by
its kind, never by its value.
"""

from __future__ import annotations

from flows import Problem


class ConfigError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigFileError(ConfigError):
    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"config file {file}: {reason}")
        self.file = file
        self.reason = reason


class ConfigInvalidError(ConfigError):
    def __init__(self, file: str, problems: list[Problem]) -> None:
        count = len(problems)
        super().__init__(f"config file {file} has {count} error{'s' if count != 1 else ''}")
        self.file = file
        self.problems = problems
