"""Running calls: the engine, the carriers' dialects, the server, the store and the CLI."""

from __future__ import annotations

from runner.cli import main

__all__ = ["main"]
