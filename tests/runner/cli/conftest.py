from __future__ import annotations

from pathlib import Path

import pytest

from tests.runner.cli.listening_call import mock_config
from tests.runner.cli.serve_process import free_port


@pytest.fixture
def port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    return free_port()


@pytest.fixture
def mock_campaign_config(tmp_path: Path, port: int) -> Path:
    """A config on the mock carrier with no flows of its own, its data in tmp_path/data."""
    return mock_config(tmp_path / "config", tmp_path / "data", port, [])
