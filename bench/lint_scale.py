"""Benchmark: the time of ``callflow lint`` as a flow grows, per step.

    .venv/bin/python bench/lint_scale.py [--sizes 1000,10000,90000] [--rounds 1]

For each size it writes two generated flows to a temporary folder and lints each the
way ``callflow lint FILE`` does (``load_document``, then ``lint_document``):

- ``next chain``: steps joined by ``next`` alone, the last one hanging up;
- ``gather chain``: every step speaks a template naming the variable the step before
  it set, sets its own variable, and every third step gathers a key with its answers
  routed on and its silence routed to one goodbye step, which so has a third of the
  flow as its ways in. Every check has work: templates, set variables on every way,
  ``on`` keys, references, reachability and loops.

It prints the best of ``--rounds`` runs of each part, reading the YAML and running
every check, and their time per step, which should stay flat from the smallest size
to the largest. It also checks that each flow lints clean, so the figures are of a
full, successful lint.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flows import lint_document, load_document

HEAD = "version: 1\nname: lint-scale\nmode: conversation\ninputs:\n  name: {type: string}\nsteps:\n"


def next_chain(size: int) -> str:
    lines = [HEAD]
    for index in range(size - 1):
        lines.append(f"  s{index}:\n    say: Step {index}.\n    next: s{index + 1}\n")
    lines.append(f"  s{size - 1}:\n    say: Goodbye.\n    hangup: true\n")
    return "".join(lines)


def gather_chain(size: int) -> str:
    lines = [HEAD, '  s0:\n    say: "Hello {{ name }}."\n    set: {v0: "{{ name }}"}\n    next: s1\n']
    for index in range(1, size - 1):
        following = f"s{index + 1}" if index < size - 2 else "goodbye"
        lines.append(
            f"  s{index}:\n"
            f'    say: "Step {index}, {{{{ v{index - 1} }}}}."\n'
            f'    set: {{v{index}: "{{{{ last.digits }}}}"}}\n'
        )
        if index % 3 == 0:
            lines.append(
                "    gather: {digits: 1}\n"
                f'    on: {{"1": {following}, "2": {following}, no_input: goodbye}}\n'
            )
        else:
            lines.append(f"    next: {following}\n")
    lines.append('  goodbye:\n    say: "Goodbye {{ name }}."\n    hangup: true\n')
    return "".join(lines)


def lint_seconds(path: Path) -> tuple[float, float]:
    """Seconds to read the flow, and to run every check on it."""
    started = time.perf_counter()
    document, load_problems = load_document(path)
    loaded = time.perf_counter()
    problems = lint_document(document, load_problems)
    checked = time.perf_counter()
    if problems:
        shown = "\n".join(problem.format() for problem in problems[:20])
        raise SystemExit(f"{path.name} did not lint clean:\n{shown}")
    return loaded - started, checked - loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,90000", help="step counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=1, help="runs per flow; the best is shown")
    args = parser.parse_args()
    shapes: dict[str, Callable[[int], str]] = {"next chain": next_chain, "gather chain": gather_chain}
    print("| flow | steps | file KB | read s | checks s | read µs/step | checks µs/step |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for name, make in shapes.items():
            for size in (int(part) for part in args.sizes.split(",")):
                path = Path(folder) / f"{name.replace(' ', '-')}-{size}.yaml"
                path.write_text(make(size), encoding="utf-8")
                runs = [lint_seconds(path) for _ in range(args.rounds)]
                read, checks = min(run[0] for run in runs), min(run[1] for run in runs)
                kilobytes = path.stat().st_size / 1024
                print(
                    f"| {name} | {size:,} | {kilobytes:,.0f} | {read:.2f} | {checks:.2f} "
                    f"| {read / size * 1e6:.0f} | {checks / size * 1e6:.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
