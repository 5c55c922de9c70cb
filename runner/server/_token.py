"""The control API's bearer token: made once, kept in the data folder, readable by its owner only."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

TOKEN_FILE = "control.token"


def control_token(data_dir: Path) -> str:
    """The token in ``data_dir``, made at first use (mode 0600)."""
    path = data_dir / TOKEN_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(32)
    try:
        # O_EXCL: when two processes start at once, one writes and both read its token.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_when_written(path)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(token + "\n")
    return token


def _read_when_written(path: Path) -> str:
    """The token another process has just created the file for (it may not be written yet)."""
    for _ in range(100):
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
        time.sleep(0.01)
    raise RuntimeError(f"{path} stays empty; remove it and start again")


def read_control_token(data_dir: Path) -> str | None:
    try:
        return (data_dir / TOKEN_FILE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
