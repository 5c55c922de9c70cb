"""Flow documents: load a YAML flow with its positions, validate it, lint it."""

from __future__ import annotations

from flows._checks.schema import check_schema
from flows._compile import (
    CONSULT_TOOLS,
    DEFAULT_CONSULT_TIMEOUT,
    Flow,
    FlowConsult,
    FlowGather,
    FlowMachine,
    Input,
    Route,
    Step,
    Text,
    Voice,
    compile_document,
    load_flow,
    words_of,
)
from flows._document import Data, Document, NodePath
from flows._errors import FlowError, FlowFileError, FlowInvalidError, FlowSyntaxError
from flows._gc import cyclic_gc_paused
from flows._graph import mermaid
from flows._lint import LintReport, flow_files, lint_document, lint_paths
from flows._loader import load_document, parse_document
from flows._phone import e164_problem
from flows._problems import Mark, Problem, Severity
from flows._schemas import flow_schema, load_schema, schema_file
from flows._suggest import did_you_mean
from flows._templates import BUILTINS, environment, template_fields

__all__ = [
    "BUILTINS",
    "CONSULT_TOOLS",
    "DEFAULT_CONSULT_TIMEOUT",
    "Data",
    "Document",
    "Flow",
    "FlowConsult",
    "FlowError",
    "FlowFileError",
    "FlowGather",
    "FlowInvalidError",
    "FlowMachine",
    "FlowSyntaxError",
    "Input",
    "LintReport",
    "Mark",
    "NodePath",
    "Problem",
    "Route",
    "Severity",
    "Step",
    "Text",
    "Voice",
    "check_schema",
    "compile_document",
    "cyclic_gc_paused",
    "did_you_mean",
    "e164_problem",
    "environment",
    "flow_files",
    "flow_schema",
    "lint_document",
    "lint_paths",
    "load_document",
    "load_flow",
    "load_schema",
    "mermaid",
    "parse_document",
    "schema_file",
    "template_fields",
    "words_of",
]
