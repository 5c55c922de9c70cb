"""``docs/control-api.yaml`` against the server it describes: every /api route the app
serves is documented and nothing else is, and every ``$ref`` in it leads somewhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from starlette.applications import Starlette
from starlette.routing import Route

from runner.config import Config
from runner.server import build_server
from tests.conftest import PROJECT

DOC = PROJECT / "docs" / "control-api.yaml"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    document = YAML(typ="safe").load(DOC.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def documented_api(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in doc["paths"].items()
        if path.startswith("/api/")
        for method in item
        if method in HTTP_METHODS
    }


def served_api(tmp_path: Path) -> set[tuple[str, str]]:
    """The /api routes of the app ``callflow serve`` builds (on the mock carrier), HEAD
    left out: Starlette answers it beside every GET."""
    parts = build_server(Config(), tmp_path / "data", 0)
    # The app puts the voice webhook's fast path in front of the Starlette app it wraps.
    app = getattr(parts.app, "app", parts.app)
    assert isinstance(app, Starlette)
    return {
        (route.path, method)
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/api/")
        for method in route.methods or ()
        if method != "HEAD"
    }


def test_the_doc_describes_every_api_route_the_server_serves_and_no_other(
    doc: dict[str, Any], tmp_path: Path
) -> None:
    served, documented = served_api(tmp_path), documented_api(doc)
    assert served - documented == set(), "served but not documented"
    assert documented - served == set(), "documented but not served"


def refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolves(doc: dict[str, Any], ref: str) -> bool:
    if not ref.startswith("#/components/"):
        return False
    node: object = doc
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def test_every_ref_in_the_doc_leads_to_a_component(doc: dict[str, Any]) -> None:
    found = set(refs(doc))
    assert found, "the doc has no $ref: is it the control API's?"
    assert sorted(ref for ref in found if not resolves(doc, ref)) == []
