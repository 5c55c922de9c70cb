"""Flow tests: ``*.test.yaml`` files of simulated calls and what must happen in them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows import (
    Flow,
    FlowError,
    FlowInvalidError,
    Problem,
    Severity,
    check_schema,
    load_document,
    load_flow,
)
from runner.agent import ModelReply, ToolCall
from runner.engine import FlowEngine, InputError, bind_inputs
from runner.script import ScriptError, parse_inputs
from runner.simulate import AgentEndpoint, SuppliedReply, simulate
from runner.types import CallRecord

TEST_SCHEMA = "flowtest.schema.json"
TEST_SUFFIXES = (".test.yaml", ".test.yml")


class FlowTestFileError(Exception):
    """A test file that cannot be run: unreadable, not valid, or its flow does not load."""

    def __init__(self, file: str, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.problems = problems or []


@dataclass
class CaseResult:
    name: str
    failures: list[str] = field(default_factory=list)
    record: CallRecord | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class FileResult:
    file: str
    cases: list[CaseResult]


def find_test_files(path: Path) -> list[Path]:
    """The flow test files a path names: itself, or every *.test.yaml below a folder."""
    if path.is_dir():
        return sorted(
            candidate
            for candidate in path.rglob("*")
            if candidate.name.endswith(TEST_SUFFIXES) and candidate.is_file()
        )
    return [path]


def run_test_file(path: Path, agent: AgentEndpoint | None = None) -> FileResult:
    """Run every case of one test file; ``agent`` answers the consult turns a case's
    ``agent_replies`` leave over. Raises FlowTestFileError when it cannot run."""
    try:
        document, problems = load_document(path)
    except FlowError as error:
        raise FlowTestFileError(str(path), str(error)) from None
    if _is_flow(document.data):
        raise FlowTestFileError(str(path), _flow_not_test(path))
    problems.extend(check_schema(document, TEST_SCHEMA))
    errors = [problem for problem in problems if problem.severity is Severity.ERROR]
    if errors:
        raise FlowTestFileError(str(path), f"{path} is not a valid flow test file", errors)
    data: dict[str, Any] = document.data  # type: ignore[assignment]  # the schema says a mapping
    flow = _load_flow_under_test(path, data.get("flow"))
    engine = FlowEngine(flow)
    return FileResult(str(path), [_run_case(engine, case, agent) for case in data["cases"]])


def _is_flow(data: object) -> bool:
    """A flow given where a test file was expected: it has a flow's keys and no cases."""
    return isinstance(data, dict) and "cases" not in data and ("version" in data or "steps" in data)


def _flow_not_test(flow: Path) -> str:
    tests = [flow.with_name(flow.stem + suffix) for suffix in TEST_SUFFIXES]
    found = next((test for test in tests if test.is_file()), None)
    if found is not None:
        return f"{flow} is a flow, not a flow test file; its tests are in {found}"
    return f"{flow} is a flow, not a flow test file; write its tests in {tests[0]} (see docs/flow-tests.md)"


def _load_flow_under_test(test_file: Path, named: str | None) -> Flow:
    if named is not None:
        flow_path = test_file.parent / named
    else:
        base = test_file.name
        for suffix in TEST_SUFFIXES:
            base = base.removesuffix(suffix)
        flow_path = test_file.parent / f"{base}.yaml"
    try:
        return load_flow(flow_path)
    except FlowInvalidError as error:
        raise FlowTestFileError(str(test_file), f"the flow under test: {error}", error.problems) from None
    except FlowError as error:
        raise FlowTestFileError(str(test_file), f"the flow under test: {error}") from None


def _as_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _run_case(engine: FlowEngine, case: dict[str, Any], agent: AgentEndpoint | None) -> CaseResult:
    result = CaseResult(case["name"])
    try:
        variables = bind_inputs(engine.flow, {name: _as_text(v) for name, v in case.get("vars", {}).items()})
        script = parse_inputs([_as_text(item) for item in case.get("inputs", [])])
        replies = [_supplied_reply(reply) for reply in case.get("agent_replies", [])]
        record = simulate(engine, variables, script, replies, agent=agent, call_id="test")
    except (InputError, ScriptError) as error:
        result.failures.append(f"cannot run: {error}")
        return result
    result.record = record
    result.failures.extend(_compare(case["expect"], record))
    return result


def _supplied_reply(reply: str | dict[str, Any]) -> SuppliedReply:
    """A case's agent reply: its text, or (a mapping) a model reply that calls tools."""
    if isinstance(reply, str):
        return reply
    calls = tuple(
        ToolCall(name=call["name"], arguments=call.get("arguments", {}), id=f"call-{index}")
        for index, call in enumerate(reply["tool_calls"])
    )
    return ModelReply(content=reply.get("content", ""), tool_calls=calls)


def _compare(expect: dict[str, Any], record: CallRecord) -> Iterator[str]:
    if "path" in expect and expect["path"] != record.path:
        yield f"path: expected {_list(expect['path'])}, got {_list(record.path)}"
    if "end_reason" in expect:
        got = record.end_reason.value if record.end_reason else "not ended"
        if expect["end_reason"] != got:
            yield f"end_reason: expected {expect['end_reason']}, got {got}" + (
                f" ({record.error})" if record.error else ""
            )
    if "digits_sent" in expect and expect["digits_sent"] != record.digits_sent:
        yield f"digits_sent: expected {_list(expect['digits_sent'])}, got {_list(record.digits_sent)}"
    if "transfers" in expect and expect["transfers"] != record.transfers:
        yield f"transfers: expected {_list(expect['transfers'])}, got {_list(record.transfers)}"
    if "says" in expect:
        missing = _missing_phrase(expect["says"], record.said)
        if missing is not None:
            yield f"says: '{missing}' was not spoken (in this order); spoken: {_list(record.said)}"
    if "error" in expect and expect["error"] not in (record.error or ""):
        yield f"error: expected a message containing '{expect['error']}', got {record.error or 'no error'}"


def _missing_phrase(phrases: list[str], said: list[str]) -> str | None:
    """The first phrase not found in order in ``said``; None when all are."""
    position = 0
    for phrase in phrases:
        while position < len(said) and phrase not in said[position]:
            position += 1
        if position == len(said):
            return phrase
    return None


def _list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"
