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
Folders are searched for *.yaml and *.yml files (flow tests, *.test.yaml, are skipped).

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
    print(_summary(len(report.files), report.errors, report.warnings))
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


def _summary(files: int, errors: int, warnings: int) -> str:
    checked = f"checked {files} file{'s' if files != 1 else ''}"
    if not errors and not warnings:
        return f"{checked}: no problems"
    counts = []
    if errors:
        counts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        counts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return f"{checked}: {', '.join(counts)}"
