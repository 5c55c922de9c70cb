from __future__ import annotations

import pytest

from tests.runner.cli.serve_process import free_port


@pytest.fixture
def port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    return free_port()
