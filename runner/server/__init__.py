"""The webhook server: Starlette on uvicorn, the carriers' way into the call service."""

from __future__ import annotations

from runner.server._app import AppSettings, build_app
from runner.server._metrics import Metrics
from runner.server._run import BackgroundServer, bind, serve_foreground
from runner.server._token import control_token, read_control_token

__all__ = [
    "AppSettings",
    "BackgroundServer",
    "Metrics",
    "bind",
    "build_app",
    "control_token",
    "read_control_token",
    "serve_foreground",
]
