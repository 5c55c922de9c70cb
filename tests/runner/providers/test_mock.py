"""The mock carrier, calling a real server on 127.0.0.1 as a carrier would."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ZIP_FLOW
from tests.runner.server.harness import running_server


@pytest.mark.parametrize(
    ("gather", "keys", "heard"),
    [("{}", "94107#", "94107"), ('{finish_on_key: "*"}', "42*", "42"), ('{finish_on_key: ""}', "42#", "42#")],
)
def test_the_mock_carrier_sends_the_digits_without_the_finishing_key(
    data_dir: Path, tmp_path: Path, gather: str, keys: str, heard: str
) -> None:
    flow = tmp_path / "zip.yaml"
    flow.write_text(ZIP_FLOW.format(gather=gather), encoding="utf-8")
    with running_server(data_dir, flows=[flow]) as server:
        started = server.api("POST", "/api/calls", {"flow": "zip", "inputs": [keys]})
        assert started.status_code == 201, started.text
        record = server.api("POST", f"/api/calls/{started.json()['id']}/wait", {"timeout": 20}).json()
        assert record["said"] == ["Key in your zip code.", f"You entered {heard}."]
        assert [entry["text"] for entry in record["transcript"] if entry["speaker"] == "caller"] == [heard]
