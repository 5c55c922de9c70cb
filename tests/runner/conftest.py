from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.runner.providers.carrier_server import CarrierServer


@pytest.fixture
def carrier() -> Iterator[CarrierServer]:
    """A stand-in for the carrier's API on 127.0.0.1, answering what each test queues
    (the provider tests, and the server tests that place calls through it)."""
    with CarrierServer() as server:
        yield server
