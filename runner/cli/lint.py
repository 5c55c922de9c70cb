"""``callflow lint``: check flow files and point at every mistake."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from flows import FlowError, LintReport, Severity, lint_paths, load_flow
from runner.carrier_fit import PROVIDER_NAMES, carrier_problems

HELP = "check flow files: one line per mistake, with file, line and column"
DESCRIPTION = """\
Check flow files against the flow format: the schema, step references, mode rules,
templates, phone numbers and DTMF strings, and loops that never wait for the caller.
Folders are searched for *.yaml and *.yml files. Flow tests (*.test.yaml, *.test.yml)
are not flows: callflow test runs them. Lint skips them in a folder, and also when they
are named one by one (as a shell glob such as examples/*.yaml names them); those the
summary counts: "checked 5 files: no problems (5 flow tests left to callflow test)".

With --provider, each flow that lints clean is also checked against that carrier: a
value it takes only in a narrower range than the flow format's is sent as the nearest
one it accepts (a warning, carrier-adjusts: a gather timeout of 4 s is 5 s on Plivo);
a value it cannot take at all is an error (carrier-refuses). Values made by templates
are known only during the call and are not checked.

Each problem is printed as FILE:LINE:COLUMN: error|warning: MESSAGE [RULE].

exit status: 0 no errors (warnings allowed unless --strict), 1 errors found,
2 a file could not be read or is not YAML, or the arguments are wrong."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "lint", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="flow files or folders")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    parser.add_argument("--strict", action="store_true", help="fail (exit 1) on warnings too")
    parser.add_argument(
        "--provider",
        choices=PROVIDER_NAMES,
        help="also check each flow against this carrier's limits",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    report = lint_paths(args.paths)
    if args.provider is not None:
        _check_against_carrier(report, args.provider)
    code = report.exit_code(strict=args.strict)
    if args.json:
        print(
            json.dumps(
                {
                    "files": report.files,
                    "errors": report.errors,
                    "warnings": report.warnings,
                    "failures": report.failures,
                    "skipped_tests": report.skipped_tests,
                    "problems": [problem.as_json() for problem in report.problems],
                },
                indent=2,
            )
        )
        return code
    for failure in report.failures:
        print(f"callflow lint: error: {failure}", file=sys.stderr)
    for problem in report.problems:
        print(problem.format())
    print(_summary(report))
    return code


def _check_against_carrier(report: LintReport, provider: str) -> None:
    broken = {problem.file for problem in report.problems if problem.severity is Severity.ERROR}
    for file in report.files:
        if file in broken:
            continue
        try:
            flow = load_flow(Path(file))
        except FlowError:
            continue  # not readable: already one of the report's failures
        report.problems.extend(carrier_problems(flow, provider))
    report.problems.sort(key=lambda problem: problem.sort_key)


def _summary(report: LintReport) -> str:
    checked = f"checked {_count(len(report.files), 'file')}"
    counts = []
    if report.errors:
        counts.append(_count(report.errors, "error"))
    if report.warnings:
        counts.append(_count(report.warnings, "warning"))
    if report.failures:
        counts.append(f"{len(report.failures)} could not be read")
    summary = f"{checked}: {', '.join(counts) or 'no problems'}"
    if report.skipped_tests:
        summary += f" ({_count(len(report.skipped_tests), 'flow test')} left to callflow test)"
    return summary


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"
