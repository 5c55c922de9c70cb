"""The webhook server: Starlette on uvicorn, the carriers' way into the call service."""

from __future__ import annotations

from runner.server._app import AppSettings, build_app
from runner.server._factory import ServerParts, ServerSetupError, build_server
from runner.server._metrics import Metrics
from runner.server._run import BackgroundServer, bind, serve_foreground
from runner.server._token import control_token, read_control_token

__all__ = [
    "AppSettings",
    "BackgroundServer",
    "Metrics",
    "ServerParts",
    "ServerSetupError",
    "bind",
    "build_app",
    "build_server",
    "control_token",
    "read_control_token",
    "serve_foreground",
]
