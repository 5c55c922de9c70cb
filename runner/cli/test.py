"""``callflow test``: run the flow tests written beside the flows."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from runner.cli._base import UsageError
from runner.flowtest import FileResult, FlowTestFileError, find_test_files, run_test_file

HELP = "run flow tests (*.test.yaml): simulated calls and what must happen in them"
DESCRIPTION = """\
Run the test cases in *.test.yaml files (folders are searched). Each case simulates
one call of the flow under test with the given vars, caller inputs and agent replies,
and checks what is expected: the path of steps, phrases spoken, the end reason, the
digits sent. See docs/flow-tests.md for the file format. A flow given instead of its
test file is refused with the name of the test file to run.

exit status: 0 every case passed, 1 a case failed, 2 a test file could not be run."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "test", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="test files or folders")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    files: list[Path] = []
    for path in args.paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder")
        found = find_test_files(path)
        if not found:
            raise UsageError(f"{path}: no flow test files (*.test.yaml) in this folder")
        files.extend(found)
    passed = failed = 0
    broken = False
    for file in files:
        try:
            result = run_test_file(file)
        except FlowTestFileError as error:
            broken = True
            print(f"{file}\n  ERROR {error}")
            for problem in error.problems:
                print(problem.format(), file=sys.stderr)
            continue
        _print_result(result)
        passed += sum(case.passed for case in result.cases)
        failed += sum(not case.passed for case in result.cases)
    print(f"{passed} passed, {failed} failed")
    if broken:
        return 2
    return 1 if failed else 0


def _print_result(result: FileResult) -> None:
    print(result.file)
    for case in result.cases:
        print(f"  {'PASS' if case.passed else 'FAIL'}  {case.name}")
        for failure in case.failures:
            print(f"        {failure}")
