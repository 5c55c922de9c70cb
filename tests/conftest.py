from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from runner.cli import main

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLES = PROJECT / "examples"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


CLI = Callable[..., Result]


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test keeps call records in its own folder, never in the checkout."""
    folder = tmp_path / "callflow-data"
    monkeypatch.setenv("CALLFLOW_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> CLI:
    """Run ``callflow`` in-process through ``main(argv)``."""

    def run(*argv: str | Path) -> Result:
        code = main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def write_flow(tmp_path: Path) -> Callable[..., Path]:
    """Write dedented YAML text to a file in a temporary folder."""

    def write(text: str, name: str = "flow.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


#: A flow that gathers a zip code and says back what it heard; ``{gather}`` is its gather.
ZIP_FLOW = """
version: 1
name: zip
mode: conversation
to: "+14155550100"
steps:
  ask:
    say: Key in your zip code.
    gather: {gather}
    on:
      any: heard
  heard:
    say: "You entered {{{{ last.digits }}}}."
"""
