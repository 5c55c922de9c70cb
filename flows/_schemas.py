"""Find and load the JSON Schemas of the ``schema/`` folder."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

_PACKAGE_DIR = Path(__file__).resolve().parent
FLOW_SCHEMA = "flow.schema.json"


def schema_file(name: str) -> Path:
    """The path of a schema file such as ``flow.schema.json``.

    An installed wheel carries the schemas inside the package (see pyproject.toml's
    force-include); a source checkout or an editable install reads the top-level folder.
    """
    for folder in (_PACKAGE_DIR / "schemas", _PACKAGE_DIR.parent / "schema"):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"schema {name} is not installed with the flows package")


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_file(name).read_text(encoding="utf-8"))
    return loaded


def flow_schema() -> dict[str, Any]:
    return load_schema(FLOW_SCHEMA)
