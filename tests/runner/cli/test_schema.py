from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from flows import schema_file
from tests.conftest import CLI


def test_schema_prints_the_flow_schema(cli: CLI) -> None:
    result = cli("schema")
    assert result.code == 0
    printed = json.loads(result.out)
    assert printed == json.loads(schema_file("flow.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(printed)


def test_every_property_of_the_schema_has_a_description() -> None:
    schema = json.loads(schema_file("flow.schema.json").read_text(encoding="utf-8"))
    missing: list[str] = []

    def visit(node: object, where: str) -> None:
        if isinstance(node, dict):
            for name, child in node.get("properties", {}).items():
                if "description" not in child and "$ref" not in child:
                    missing.append(f"{where}.{name}")
            for key, child in node.items():
                if key != "if":  # a condition's properties are tests, not fields
                    visit(child, f"{where}.{key}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                visit(child, f"{where}[{index}]")

    visit(schema, "$")
    assert missing == []
