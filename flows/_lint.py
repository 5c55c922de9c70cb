"""Lint flow files: load each one, run every check, collect the problems in order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flows._checks import run_checks
from flows._document import Document
from flows._errors import FlowError, FlowFileError, FlowSyntaxError
from flows._loader import load_document
from flows._problems import Problem, Severity

YAML_SYNTAX = "yaml-syntax"
RULES = (YAML_SYNTAX,)
FLOW_SUFFIXES = (".yaml", ".yml")
#: Flow test files sit beside flows and are checked by ``callflow test``, not lint.
TEST_SUFFIXES = (".test.yaml", ".test.yml")


@dataclass
class LintReport:
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: One line for each path that could not be read at all (missing, not text).
    failures: list[str] = field(default_factory=list)
    #: Flow test files named one by one (as a shell glob names them): left to ``callflow test``.
    skipped_tests: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(problem.severity is Severity.ERROR for problem in self.problems)

    @property
    def warnings(self) -> int:
        return sum(problem.severity is Severity.WARNING for problem in self.problems)

    def exit_code(self, *, strict: bool = False) -> int:
        """0 clean, 1 errors (or warnings when strict), 2 something could not be checked."""
        if self.failures or any(problem.rule == YAML_SYNTAX for problem in self.problems):
            return 2
        if self.errors or (strict and self.warnings):
            return 1
        return 0


def lint_document(document: Document, load_problems: Iterable[Problem] = ()) -> list[Problem]:
    """Every problem of a loaded document, sorted by position."""
    return sorted([*load_problems, *run_checks(document)], key=lambda problem: problem.sort_key)


def flow_files(path: Path) -> list[Path]:
    """The flow files a path names: itself, or every *.yaml / *.yml below a folder."""
    if path.is_dir():
        return sorted(
            candidate
            for candidate in path.rglob("*")
            if candidate.suffix in FLOW_SUFFIXES
            and not candidate.name.endswith(TEST_SUFFIXES)
            and candidate.is_file()
            and not any(part.startswith(".") for part in candidate.relative_to(path).parts)
        )
    if not path.exists():
        raise FlowFileError(str(path), "no such file or folder")
    return [path]


def lint_paths(paths: Sequence[Path]) -> LintReport:
    report = LintReport()
    for path in paths:
        if path.name.endswith(TEST_SUFFIXES) and path.is_file():
            report.skipped_tests.append(str(path))
            continue
        try:
            files = flow_files(path)
        except FlowError as error:
            report.failures.append(str(error))
            continue
        if not files:
            report.failures.append(f"{path}: no flow files (*.yaml, *.yml) in this folder")
        for file in files:
            _lint_file(file, report)
    report.problems.sort(key=lambda problem: problem.sort_key)
    return report


def _lint_file(path: Path, report: LintReport) -> None:
    report.files.append(str(path))
    try:
        document, load_problems = load_document(path)
    except FlowSyntaxError as error:
        report.problems.append(Problem(error.file, error.mark, Severity.ERROR, YAML_SYNTAX, error.reason))
        return
    except FlowFileError as error:
        report.failures.append(str(error))
        return
    report.problems.extend(lint_document(document, load_problems))
