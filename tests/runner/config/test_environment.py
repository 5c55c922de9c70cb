"""``${NAME}`` takes the type the schema wants where it stands."""

from __future__ import annotations

import pytest

from flows import Data, parse_document
from runner.config._environment import substitute

SCHEMA = {
    "type": "object",
    "properties": {
        "ratio": {"type": "number"},
        "name": {"type": "string"},
        "ports": {"type": "array", "items": {"type": "integer"}},
    },
}


def _substituted(text: str, value: str) -> tuple[Data, list[str]]:
    document, _ = parse_document(text, "callflow.yaml")
    data, problems = substitute(document, {"VALUE": value}, SCHEMA)
    return data, [problem.format() for problem in problems]


@pytest.mark.parametrize(
    ("text", "value", "data"),
    [
        ("ratio: ${VALUE}\n", "0.25", {"ratio": 0.25}),
        ("ratio: ${VALUE}\n", "-3", {"ratio": -3.0}),
        ("name: ${VALUE}\n", "8080", {"name": "8080"}),
        ("ports: [1, '${VALUE}']\n", "8080", {"ports": [1, 8080]}),
    ],
)
def test_a_reference_takes_the_type_of_its_place(text: str, value: str, data: Data) -> None:
    assert _substituted(text, value) == (data, [])


@pytest.mark.parametrize("value", ["nan", "inf", "1,5", ""])
def test_a_number_that_is_no_number_names_the_variable(value: str) -> None:
    data, problems = _substituted("ratio: ${VALUE}\n", value)
    assert data == {"ratio": value}
    assert problems == [
        f"callflow.yaml:1:8: error: expected a number from environment variable VALUE, found {value!r} "
        "(in ratio) [env-type]"
    ]


def test_a_text_without_a_reference_is_left_to_the_schema() -> None:
    assert _substituted("ratio: '$${VALUE}'\n", "1") == ({"ratio": "${VALUE}"}, [])
