"""``callflow test``: run the flow tests written beside the flows."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from runner.cli._agent_args import add_agent_arguments, agent_endpoint
from runner.cli._base import UsageError
from runner.cli._config_arg import add_config_argument
from runner.flowtest import FileResult, FlowTestFileError, find_test_files, run_test_file
from runner.simulate import AgentEndpoint

HELP = "run flow tests (*.test.yaml): simulated calls and what must happen in them"
DESCRIPTION = """\
Run the test cases in *.test.yaml files (folders are searched). Each case simulates
one call of the flow under test with the given vars, caller inputs and agent replies,
and checks what is expected: the path of steps, phrases spoken, the end reason, the
digits sent. See docs/flow-tests.md for the file format. A flow given instead of its
test file is refused with the name of the test file to run.

Agent replies are read as the server reads a model's reply (only the spoken words).
With --agent-url, the consult turns a case's agent_replies leave over are answered by
that real agent (model, system prompt, timeout and fallback line from the config's
agent, if any): its words vary, so expect what any fitting answer does.

exit status: 0 every case passed, 1 a case failed, 2 a test file could not be run."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "test", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="test files or folders")
    add_agent_arguments(parser)
    add_config_argument(parser)
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
    agent = agent_endpoint(args)
    try:
        passed, failed, broken = _run_files(files, agent)
    finally:
        if agent is not None:
            agent.close()
    print(f"{passed} passed, {failed} failed")
    if broken:
        return 2
    return 1 if failed else 0


def _run_files(files: list[Path], agent: AgentEndpoint | None) -> tuple[int, int, bool]:
    """Run and print each file: the cases passed, the cases failed, whether a file could not run."""
    passed = failed = 0
    broken = False
    for file in files:
        try:
            result = run_test_file(file, agent)
        except FlowTestFileError as error:
            broken = True
            print(f"{file}\n  ERROR {error}")
            for problem in error.problems:
                print(problem.format(), file=sys.stderr)
            continue
        _print_result(result)
        passed += sum(case.passed for case in result.cases)
        failed += sum(not case.passed for case in result.cases)
    return passed, failed, broken


def _print_result(result: FileResult) -> None:
    print(result.file)
    for case in result.cases:
        print(f"  {'PASS' if case.passed else 'FAIL'}  {case.name}")
        for failure in case.failures:
            print(f"        {failure}")
