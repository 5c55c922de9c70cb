"""Whatever a file holds, the linter answers with exit 0, 1 or 2 and never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.cli import main

FLOW_KEYS = ["version", "name", "mode", "inputs", "to", "from", "greeting", "dtmf_sequence", "steps", "start"]
STEP_KEYS = ["say", "gather", "on", "next", "hangup", "consult", "transfer", "set", "send_digits", "pause"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["{{ x }", "{{ call.id }}", "{% if %}", "+14155550100", "1", "no_input", "menu"]),
)
keys = st.one_of(st.text(max_size=12), st.sampled_from(FLOW_KEYS + STEP_KEYS))
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=6),
    ),
    max_leaves=30,
)
flow_like = st.fixed_dictionaries(
    {"version": st.sampled_from([1, 2, "1"]), "name": st.sampled_from(["x", "a-b", "Bad"])},
    optional={
        "mode": st.sampled_from(["notify", "conversation", "other"]),
        "steps": st.dictionaries(st.text(max_size=8), st.dictionaries(st.sampled_from(STEP_KEYS), documents)),
        "inputs": documents,
        "greeting": documents,
        "start": documents,
    },
)

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _lint(path: Path, capsys: Any) -> tuple[int, Any]:
    code = main(["lint", "--json", str(path)])
    output = capsys.readouterr().out
    return code, json.loads(output)


@SETTINGS
@given(text=st.text(max_size=300))
def test_arbitrary_text_never_crashes_the_linter(tmp_path: Path, capsys: Any, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    code, report = _lint(path, capsys)
    assert code in (1, 2)  # no flow is valid without version and name
    assert report["problems"] or report["failures"]
    for problem in report["problems"]:
        assert problem["line"] >= 1
        assert problem["column"] >= 1
        assert problem["message"]


@SETTINGS
@given(data=st.one_of(documents, flow_like))
def test_arbitrary_mappings_never_crash_the_linter(tmp_path: Path, capsys: Any, data: Any) -> None:
    path = tmp_path / "fuzz.yaml"
    # JSON is YAML: this writes any structure, with any keys and scalars, as a flow file.
    path.write_text(json.dumps(data), encoding="utf-8")
    code, report = _lint(path, capsys)
    assert code in (0, 1, 2)
    if code:
        assert report["problems"] or report["failures"]
