"""Flows that come with callflow."""

from __future__ import annotations

from pathlib import Path

#: The short notify call of 'callflow smoke --yes'; every server loads it.
SMOKE_FLOW = Path(__file__).resolve().parent / "smoke.yaml"
SMOKE_FLOW_NAME = "callflow-smoke-test"

__all__ = ["SMOKE_FLOW", "SMOKE_FLOW_NAME"]
